"""The rune ABI (docs/abi.md) as both hosts implement it, written once.

The wasmtime host (host.py over guest.py) and the wasm3 host (wasm3_host.py) differ only in
the engine: how guest memory is viewed, how imports are linked, how a trap is reported. What the
ABI itself says lives here:

- `CheckedImports`: the checked implementation of every import over a numpy view of guest
  memory (bounds checks, manifest lookups, size checks, copying tensors, following utf8
  strings), recording the first failure with its status, and the written outputs;
- `RuneHost`: what a host does around its engine (the manifest, capability feeders and model
  handlers made from a container, feeding a run's inputs, handing back its outputs).

Imports never raise into the engine: a checked body raises on a bad argument, and `_checked`
records the first error and returns the non-zero status; the host raises it once `rune_run`
returns.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

import numpy as np
from rune.abi.bounded import BoundsError, read_regular_file
from rune.abi.container import RuneContainer, read_rune
from rune.abi.imports import IMPORT_MODULE, IMPORT_NAMES, Status

from . import capabilities as _caps
from . import handlers as _handlers
from .capabilities import CapabilityRegistry, InputValue, as_u8, check_length
from .errors import (
    CapabilityError,
    GuestMemoryError,
    ModelError,
    RuneError,
    RuneLoadError,
    RuneRunError,
)
from .handlers import HandlerRegistry, ModelHandler
from .manifest import Manifest, TensorSpec, parse_manifest
from .results import OutputLayout, Outputs

logger = logging.getLogger("rune.guest")

LOG_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}
_NO_INPUTS: Mapping[str, InputValue] = {}


def abi_import(module: str, name: str) -> str:
    """`import "module" "name"`, for messages; a RuneLoadError unless ABI v1 provides it."""
    where = f'import "{module}" "{name}"'
    if module != IMPORT_MODULE or name not in IMPORT_NAMES:
        raise RuneLoadError(
            f"the rune needs {where}, which ABI v1 does not provide "
            f"(available: {', '.join(IMPORT_NAMES)} from module {IMPORT_MODULE!r})"
        )
    return where


def read_source(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> RuneContainer:
    """The container of a `.rune` given as a path or as its bytes."""
    if isinstance(source, (str, os.PathLike)):
        try:  # a regular file of bounded size: /dev/zero would stream forever
            data: bytes | bytearray | memoryview = read_regular_file(source)
        except BoundsError as exc:
            raise RuneLoadError(str(exc)) from None
    else:
        data = source
    return read_rune(data)


class CheckedImports:
    """The checked imports of one rune instance, over `_mem`, a uint8 numpy view of its memory.

    The engine's side sets `_mem` and `_mem_len` once memory exists, `inputs` before each run,
    and `_refusal` to None while the rune may call imports (otherwise it is the message for an
    import called at the wrong time). `written` holds every output tensor of the current run.
    """

    def __init__(
        self,
        manifest: Manifest,
        models: Sequence[ModelHandler],
        on_log: Callable[[int, str], None] | None,
        refusal: str,
    ) -> None:
        self.manifest = manifest
        self._models = list(models)
        self._on_log = on_log
        self._refusal: str | None = refusal
        self.error: RuneError | None = None
        self.status = Status.OK
        self._mem = np.zeros(0, dtype=np.uint8)
        self._mem_len = 0
        #: Each capability's bytes for the current run: bytes, a uint8 memoryview, or an array
        #: of exactly the tensor's dtype and dimensions (`RuneHost._prepare`).
        self.inputs: list[bytes | memoryview | np.ndarray | None] = (
            [None] * len(manifest.capabilities))
        self._out_keys: list[list[int]] = []
        #: By key (an output's tensor): its byte size if fixed-size, else -1; and the byte size
        #: of a utf8 tensor's (ptr, len) pairs, else -1. One walk owns both.
        self._out_sizes: list[int] = []
        self._utf8_sizes: list[int] = []
        for spec in manifest.outputs:
            self._out_keys.append(
                list(range(len(self._out_sizes), len(self._out_sizes) + len(spec.inputs)))
            )
            for t in spec.inputs:
                utf8 = t.element_type == "utf8"
                self._out_sizes.append(-1 if utf8 else t.nbytes)
                self._utf8_sizes.append(t.nbytes if utf8 else -1)
        self.written: list[bytes | list[str] | None] = [None] * len(self._out_sizes)
        self._nones: list[None] = [None] * len(self._out_sizes)

    def run(self) -> None:
        """Enter `rune_run` once with `inputs` set; afterwards `written` holds every output
        tensor. Raises the first recorded import error, a trap, or a non-zero status."""
        raise NotImplementedError

    def _begin_run(self) -> None:
        self.error = None
        self.written[:] = self._nones

    def _finish_run(self, status: int) -> None:
        if self.error is not None:
            raise self.error
        if status != 0:
            raise RuneRunError(f"the rune failed with status {status}")

    def layout(self) -> list[OutputLayout]:
        """Where each output stage's tensors are among the values `collect` returns."""
        return [
            (
                spec.name,
                spec.kind,
                [
                    (t.element_type, t.dimensions, t.dtype, key)
                    for t, key in zip(spec.inputs, keys, strict=True)
                ],
            )
            for spec, keys in zip(self.manifest.outputs, self._out_keys, strict=True)
        ]

    def collect(self) -> list[bytes | list[str]]:
        """Every output tensor the last run wrote (see `layout`); an error if one is missing."""
        values = self.written[:]
        if None in values:
            key = values.index(None)
            for spec, keys in zip(self.manifest.outputs, self._out_keys, strict=True):
                if key in keys:
                    raise RuneRunError(
                        f'rune_run returned without writing output "{spec.name}" slot '
                        f"{keys.index(key)}"
                    )
        return values  # type: ignore[return-value]

    # -- the checked import implementations ---------------------------------------------------

    def _checked(self, body: Callable[..., None], status: Status, *args: Any) -> int:
        """Run a checked implementation; record its failure and return the status to report."""
        try:
            if self._refusal is not None:
                raise RuneRunError(self._refusal)
            body(*args)
            return 0
        except RuneError as exc:
            code = Status.MEMORY if isinstance(exc, GuestMemoryError) else status
            error = exc
        except Exception as exc:  # a bug in a handler or feeder must not escape as a trap
            code = Status.INTERNAL
            error = RuneRunError(f"internal error in import {body.__name__}: {exc!r}")
            error.__cause__ = exc
        if self.error is None:  # the first failure is the cause; later ones are fallout
            self.error, self.status = error, code
        return int(code)

    def _span(self, ptr: int, length: int, what: str) -> tuple[int, int]:
        """Bounds-check a guest (ptr, len), both unsigned 32-bit (wasm3 passes them signed)."""
        start, size = ptr & 0xFFFFFFFF, length & 0xFFFFFFFF
        if start + size > self._mem_len:
            raise GuestMemoryError(
                f"{what}: the rune passed ptr={start} len={size}, outside its memory "
                f"({self._mem_len} bytes)"
            )
        return start, start + size

    @staticmethod
    def _pick(items: Sequence[Any], index: int, what: str) -> Any:
        if not 0 <= index < len(items):
            raise RuneRunError(f"the rune named {what} {index}, but the manifest has {len(items)}")
        return items[index]

    @staticmethod
    def _check_size(tensor: TensorSpec, size: int, what: str) -> None:
        if size != tensor.nbytes:
            raise RuneRunError(
                f"{what}: the rune passed {size} bytes but the manifest declares "
                f"{tensor.describe()} ({tensor.nbytes} bytes)"
            )

    def _capability_read(self, cap: int, ptr: int, length: int) -> None:
        spec = self._pick(self.manifest.capabilities, cap, "capability")
        what = f'capability_read for stage "{spec.name}"'
        start, end = self._span(ptr, length, what)
        self._check_size(spec.tensor, end - start, what)
        self._mem[start:end] = as_u8(self.inputs[cap])  # type: ignore[arg-type]

    def _model_set_input(self, model: int, slot: int, ptr: int, length: int) -> None:
        spec = self._pick(self.manifest.models, model, "model")
        tensor = self._pick(spec.inputs, slot, f'input slot of model "{spec.name}"')
        what = f'model_set_input for model "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        view = self._mem[start:end]
        if tensor.element_type != "utf8":
            view = view.view(tensor.dtype).reshape(tensor.dimensions)
        self._models[model].set_input(slot, view)

    def _model_get_output(self, model: int, slot: int, ptr: int, length: int) -> None:
        spec = self._pick(self.manifest.models, model, "model")
        tensor = self._pick(spec.outputs, slot, f'output slot of model "{spec.name}"')
        what = f'model_get_output for model "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        data = as_u8(self._models[model].get_output(slot))
        if data.size != end - start:
            raise ModelError(
                f'model "{spec.name}" output {slot} is {data.size} bytes but the manifest '
                f"declares {tensor.describe()} ({tensor.nbytes} bytes)"
            )
        self._mem[start:end] = data

    def _output_write(self, output: int, slot: int, ptr: int, length: int) -> None:
        spec = self._pick(self.manifest.outputs, output, "output")
        tensor = self._pick(spec.inputs, slot, f'input slot of output "{spec.name}"')
        what = f'output_write for output "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        key = self._out_keys[output][slot]
        if tensor.element_type == "utf8":
            self.written[key] = self._read_strings(start, end, what)
        else:
            self.written[key] = self._mem[start:end].tobytes()

    def _read_strings(self, start: int, end: int, what: str) -> list[str]:
        pairs = np.frombuffer(self._mem[start:end].tobytes(), dtype="<u4").reshape(-1, 2)
        strings = []
        for i, (sptr, slen) in enumerate(pairs.tolist()):
            s0, s1 = self._span(sptr, slen, f"{what}, string {i}")
            try:
                strings.append(self._mem[s0:s1].tobytes().decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise RuneRunError(f"{what}, string {i} is not valid UTF-8: {exc}") from None
        return strings

    def _log(self, level: int, ptr: int, length: int) -> None:
        start, end = self._span(ptr, length, "log")
        message = self._mem[start:end].tobytes().decode("utf-8", errors="replace")
        logger.log(LOG_LEVELS.get(level, logging.DEBUG), "%s: %s", self.manifest.name, message)
        if self._on_log is not None:
            self._on_log(level, message)

    def _probe(self, probe_id: int) -> None:
        """Untimed, a probe does nothing (wasmtime's timed bodies record `rune bench --kernels`'
        clock; wasm3 never times)."""


class RuneHost:
    """A loaded rune around one engine instance, `_guest`, which an engine's host sets up
    after this constructor; `run` it any number of times (one run at a time)."""

    _guest: CheckedImports
    _layout: list[OutputLayout]
    #: Capabilities whose input the host writes straight into guest memory (`input_buffer`);
    #: a run that is given no value for one leaves its bytes where they are.
    _in_place: dict[int, object] = {}

    def __init__(
        self,
        container: RuneContainer,
        seed: int,
        handlers: HandlerRegistry | None,
        capabilities: CapabilityRegistry | None,
    ) -> None:
        """For a host's constructor, before it sets up its engine."""
        self._container = container
        self._manifest = parse_manifest(container.manifest)
        self._check_manifest()
        self._rng = np.random.default_rng(seed)
        registry = capabilities if capabilities is not None else _caps.default_registry
        self._feeds = [
            (spec, registry.feeder(spec, self._rng), spec.tensor.nbytes)
            for spec in self._manifest.capabilities
        ]
        self._names = {c.name: i for i, c in enumerate(self._manifest.capabilities)}
        #: `_feeds` as `_prepare` walks them: (index, name, feeder, byte size, spec, the
        #: tensor's dtype in guest memory and its dimensions).
        self._feed_plan = tuple(
            (index, spec.name, feed, size, spec, spec.tensor.dtype, spec.tensor.dimensions)
            for index, (spec, feed, size) in enumerate(self._feeds)
        )
        handler_registry = handlers if handlers is not None else _handlers.default_registry
        self._models: list[ModelHandler] = [
            handler_registry.create(spec, container.blob(spec.blob.offset, spec.blob.length))
            for spec in self._manifest.models
        ]

    def _check_manifest(self) -> None:
        """A host's own checks of the manifest, before any feeder or handler is made."""

    @classmethod
    def load(
        cls, source: bytes | bytearray | memoryview | str | os.PathLike[str], **options: Any
    ) -> Self:
        """Load a `.rune` from a path or its bytes; options as for the constructor."""
        return cls(read_source(source), **options)

    @property
    def manifest(self) -> Manifest:
        """Capabilities with their args and tensors, models, outputs, stages."""
        return self._manifest

    @property
    def container(self) -> RuneContainer:
        return self._container

    def _prepare(self, inputs: Mapping[str, InputValue]) -> None:
        """Feed every capability before entering the guest, so input errors come first."""
        names = self._names
        for name in inputs:
            if name not in names:
                known = ", ".join(names) or "none"
                raise CapabilityError(
                    f'the rune has no capability stage named "{name}" (capability stages: {known})'
                )
        fed, in_place, given = self._guest.inputs, self._in_place, inputs.get
        for index, name, feed, size, spec, dtype, dims in self._feed_plan:
            if in_place and index in in_place and name not in inputs:
                fed[index] = in_place[index]  # type: ignore[assignment]
                continue
            data = feed(given(name))
            if type(data) is bytes:
                if len(data) != size:
                    check_length(spec, len(data))
                fed[index] = data
            elif type(data) is np.ndarray and data.dtype == dtype and data.shape == dims:
                # The tensor's own dtype (byte order included) and dimensions: its elements in
                # C order are the tensor's bytes, which capability_read copies by numpy
                # assignment, without the buffer export (about 1 µs) of as_u8 and memoryview.
                fed[index] = data
            else:
                array = as_u8(data)
                check_length(spec, array.size)
                fed[index] = memoryview(array)

    def run(self, inputs: Mapping[str, InputValue] | None = None) -> Outputs:
        """Run the pipeline once. `inputs` maps capability stage names to a path, bytes or an
        array (see rune.runtime.capabilities); returns one Output per output stage, in manifest
        order, also indexable by name."""
        self._prepare(_NO_INPUTS if inputs is None else inputs)
        guest = self._guest
        guest.run()
        return Outputs.lazy(self._layout, guest.collect())
