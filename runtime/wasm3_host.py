"""A second host on wasm3, the interpreter microcontrollers run, implementing the same ABI.

    from rune.runtime.wasm3_host import Wasm3Rune
    rune = Wasm3Rune.load("sine.rune")
    outputs = rune.run({"angle": "input.bin"})

It exists to prove that a rune built for `--target=wasm32-mcu` runs in an MCU-class engine and
gives the same outputs as the wasmtime host (`rune.runtime.host.Rune`), and as a reference for
embedding a rune where only wasm3 is available. It shares everything but the engine with the
wasmtime host: the container reader, the manifest, the capability feeders and the model
handlers; `run` returns the same `Outputs`.

wasm3 (PyPI `pywasm3`, built from its sdist) implements WebAssembly 1.0 plus a few extensions
but no SIMD: a module using v128 fails when its function is compiled, with "unknown value_type".
wasm3 compiles functions lazily, so `load` compiles `rune_run` at once to fail early.

Imports never raise into wasm3: each records the first error with its message, returns the
non-zero status of docs/abi.md, and `run` raises that error once `rune_run` returns. Every
(ptr, len) the rune passes is checked against its memory, which never grows (ABI v1).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np

from . import capabilities as _caps
from . import handlers as _handlers
from .capabilities import CapabilityRegistry, InputValue, as_u8, check_length
from .container import RuneContainer, read_rune
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
from .results import Output, Outputs, TensorValue

logger = logging.getLogger("rune.guest")

IMPORT_MODULE = "rune"
#: name -> wasm3 signature ("i(iii)": returns i32, takes three i32), as in docs/abi.md.
IMPORT_SIGNATURES: Mapping[str, str] = {
    "capability_read": "i(iii)",
    "model_set_input": "i(iiii)",
    "model_invoke": "i(i)",
    "model_get_output": "i(iiii)",
    "output_write": "i(iiii)",
    "log": "v(iii)",
}
_WASM_TYPES = {0x7F: "i", 0x7E: "I", 0x7D: "f", 0x7C: "F"}
_LOG_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}
#: wasm3's own value stack (not the rune's linear memory); 64 KiB is ample for any rune.
DEFAULT_STACK_BYTES = 64 * 1024


class Status(IntEnum):
    """Non-zero statuses the imports return (docs/abi.md); the message stays host-side."""

    OK = 0
    CAPABILITY = 1
    MODEL = 2
    OUTPUT = 3
    MEMORY = 4
    INTERNAL = 5


def _wasm3() -> Any:
    try:
        import wasm3
    except ImportError:
        raise RuneLoadError(
            "the wasm3 host needs pywasm3 (pip install pywasm3==0.5.0; it builds from source)"
        ) from None
    return wasm3


# -- reading the module's imports (wasm3's Python API cannot list them) -------------------------


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise RuneLoadError("invalid wasm module: truncated LEB128")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _name(data: bytes, pos: int) -> tuple[str, int]:
    size, pos = _leb(data, pos)
    return data[pos : pos + size].decode("utf-8", errors="replace"), pos + size


def module_imports(wasm: bytes) -> list[tuple[str, str, str | None]]:
    """(module, name, wasm3 signature) of every import; the signature is None for an import
    that is not a function or uses a type wasm3 signatures cannot spell."""
    types: list[str | None] = []
    imports: list[tuple[str, str, str | None]] = []
    pos = 8
    while pos < len(wasm):
        section = wasm[pos]
        size, pos = _leb(wasm, pos + 1)
        end = pos + size
        if section == 1:  # types
            count, p = _leb(wasm, pos)
            for _ in range(count):
                p += 1  # 0x60
                codes = []
                for _ in range(2):
                    n, p = _leb(wasm, p)
                    codes.append(wasm[p : p + n])
                    p += n
                params, results = codes
                if len(results) > 1 or any(c not in _WASM_TYPES for c in params + results):
                    types.append(None)
                    continue
                ret = _WASM_TYPES[results[0]] if results else "v"
                types.append(f"{ret}({''.join(_WASM_TYPES[c] for c in params)})")
        elif section == 2:  # imports
            count, p = _leb(wasm, pos)
            for _ in range(count):
                module, p = _name(wasm, p)
                name, p = _name(wasm, p)
                kind = wasm[p]
                if kind != 0:
                    imports.append((module, name, None))
                    break  # only functions are legal; no need to decode the rest
                index, p = _leb(wasm, p + 1)
                imports.append((module, name, types[index] if index < len(types) else None))
            break
        pos = end
    return imports


def check_imports(wasm: bytes) -> None:
    """Refuse a module that imports anything but the six functions of ABI v1."""
    for module, name, signature in module_imports(wasm):
        where = f'import "{module}" "{name}"'
        if module != IMPORT_MODULE or name not in IMPORT_SIGNATURES:
            raise RuneLoadError(
                f"the rune needs {where}, which ABI v1 does not provide "
                f"(available: {', '.join(IMPORT_SIGNATURES)} from module {IMPORT_MODULE!r})"
            )
        if signature != IMPORT_SIGNATURES[name]:
            raise RuneLoadError(
                f"{where} has the wrong type {signature} (ABI v1: {IMPORT_SIGNATURES[name]})"
            )


class Wasm3Rune:
    """A loaded rune on wasm3, ready to `run` any number of times (one run at a time)."""

    def __init__(
        self,
        container: RuneContainer,
        *,
        seed: int = 0,
        handlers: HandlerRegistry | None = None,
        capabilities: CapabilityRegistry | None = None,
        on_log: Callable[[int, str], None] | None = None,
        stack_bytes: int = DEFAULT_STACK_BYTES,
        max_memory_bytes: int | None = None,
    ) -> None:
        """Prefer `Wasm3Rune.load`; this takes an already parsed container."""
        self._container = container
        self._manifest = parse_manifest(container.manifest)
        self._on_log = on_log
        self._rng = np.random.default_rng(seed)
        registry = capabilities if capabilities is not None else _caps.default_registry
        self._feeds = [registry.feeder(spec, self._rng) for spec in self._manifest.capabilities]
        handler_registry = handlers if handlers is not None else _handlers.default_registry
        self._models: list[ModelHandler] = [
            handler_registry.create(spec, container.blob(spec.blob.offset, spec.blob.length))
            for spec in self._manifest.models
        ]
        self._inputs: list[np.ndarray] = []
        self._written: list[list[bytes | list[str] | None]] = []
        self._running = False
        self.error: RuneError | None = None
        self._instantiate(stack_bytes, max_memory_bytes)

    @classmethod
    def load(
        cls,
        source: bytes | bytearray | memoryview | str | os.PathLike[str],
        **options: Any,
    ) -> Wasm3Rune:
        """Load a `.rune` from a path or its bytes; options as for the constructor."""
        if isinstance(source, (str, os.PathLike)):
            data: bytes | bytearray | memoryview = Path(source).read_bytes()
        else:
            data = source
        return cls(read_rune(data), **options)

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    @property
    def container(self) -> RuneContainer:
        return self._container

    @property
    def memory_bytes(self) -> int:
        """The size of the rune's linear memory in wasm3."""
        return self._mem_len

    # -- wasm3 setup --------------------------------------------------------------------------

    def _instantiate(self, stack_bytes: int, max_memory_bytes: int | None) -> None:
        wasm3 = _wasm3()
        wasm = self._container.wasm
        check_imports(wasm)
        self._env = wasm3.Environment()
        self._runtime = self._env.new_runtime(stack_bytes)
        try:
            module = self._env.parse_module(wasm)
            self._runtime.load(module)
        except RuntimeError as exc:
            raise RuneLoadError(f"wasm3 cannot load the module: {exc}") from None
        self._module = module  # keeps the linked callables alive
        bodies: dict[str, Callable[..., int | None]] = {
            "capability_read": self._guard(self._capability_read, Status.CAPABILITY),
            "model_set_input": self._guard(self._model_set_input, Status.MODEL),
            "model_invoke": self._guard(self._model_invoke, Status.MODEL),
            "model_get_output": self._guard(self._model_get_output, Status.MODEL),
            "output_write": self._guard(self._output_write, Status.OUTPUT),
            "log": self._guard(self._log, Status.INTERNAL, returns=False),
        }
        for name, signature in IMPORT_SIGNATURES.items():
            try:
                module.link_function(IMPORT_MODULE, name, signature, bodies[name])
            except RuntimeError as exc:
                raise RuneLoadError(f"wasm3 cannot link import {name!r}: {exc}") from None
        try:
            # wasm3 compiles lazily: finding the export compiles it, so an unsupported
            # instruction or type (SIMD: "unknown value_type") is a load error here.
            self._rune_run = self._runtime.find_function("rune_run")
        except RuntimeError as exc:
            raise RuneLoadError(f"wasm3 cannot compile the rune: {exc}") from None
        if self._rune_run.num_args != 0 or self._rune_run.num_rets != 1:
            raise RuneLoadError('the rune\'s "rune_run" export must have type () -> i32')
        memory = self._runtime.get_memory(0)
        if memory is None:
            raise RuneLoadError("the rune has no memory")
        self._mem_len = len(memory)
        if max_memory_bytes is not None and self._mem_len > max_memory_bytes:
            raise RuneLoadError(
                f"the rune's memory is {self._mem_len} bytes, more than the "
                f"{max_memory_bytes} bytes allowed"
            )
        self._bind_memory()

    def _bind_memory(self) -> None:
        """A numpy view of guest memory; re-made each run in case wasm3 moved it."""
        self._mem = np.frombuffer(self._runtime.get_memory(0), dtype=np.uint8)
        if self._mem.size != self._mem_len:
            raise RuneRunError(
                f"the rune's memory changed size from {self._mem_len} to {self._mem.size} bytes "
                "(ABI v1: a rune never grows its memory)"
            )

    def _guard(
        self, body: Callable[..., None], status: Status, *, returns: bool = True
    ) -> Callable[..., int | None]:
        """An import: runs `body`, records its failure, returns the status (never raises)."""

        def call(*args: int) -> int | None:
            try:
                if not self._running:
                    raise RuneRunError("the rune called an import outside rune_run")
                body(*args)
                return 0 if returns else None
            except RuneError as exc:
                code = Status.MEMORY if isinstance(exc, GuestMemoryError) else status
                error: RuneError = exc
            except Exception as exc:  # a handler bug must not unwind through wasm3
                code = Status.INTERNAL
                error = RuneRunError(f"internal error in import {body.__name__}: {exc!r}")
                error.__cause__ = exc
            if self.error is None:  # the first failure is the cause; later ones are fallout
                self.error = error
            return int(code) if returns else None

        return call

    # -- imports ------------------------------------------------------------------------------

    def _span(self, ptr: int, length: int, what: str) -> tuple[int, int]:
        """Bounds-check a guest (ptr, len); wasm3 passes i32 arguments signed."""
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
        spec = self._pick(self._manifest.capabilities, cap, "capability")
        what = f'capability_read for stage "{spec.name}"'
        start, end = self._span(ptr, length, what)
        self._check_size(spec.tensor, end - start, what)
        self._mem[start:end] = self._inputs[cap]

    def _model_set_input(self, model: int, slot: int, ptr: int, length: int) -> None:
        spec = self._pick(self._manifest.models, model, "model")
        tensor = self._pick(spec.inputs, slot, f'input slot of model "{spec.name}"')
        what = f'model_set_input for model "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        view = self._mem[start:end]
        if tensor.element_type != "utf8":
            view = view.view(tensor.dtype).reshape(tensor.dimensions)
        self._models[model].set_input(slot, view)

    def _model_invoke(self, model: int) -> None:
        spec = self._pick(self._manifest.models, model, "model")
        try:
            self._models[model].invoke()
        except RuneError:
            raise
        except Exception as exc:
            raise ModelError(f'model "{spec.name}" failed: {exc!r}') from exc

    def _model_get_output(self, model: int, slot: int, ptr: int, length: int) -> None:
        spec = self._pick(self._manifest.models, model, "model")
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
        spec = self._pick(self._manifest.outputs, output, "output")
        tensor = self._pick(spec.inputs, slot, f'input slot of output "{spec.name}"')
        what = f'output_write for output "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        if tensor.element_type == "utf8":
            self._written[output][slot] = self._read_strings(start, end, what)
        else:
            self._written[output][slot] = self._mem[start:end].tobytes()

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
        logger.log(_LOG_LEVELS.get(level, logging.DEBUG), "%s: %s", self._manifest.name, message)
        if self._on_log is not None:
            self._on_log(level, message)

    # -- running ------------------------------------------------------------------------------

    def _prepare(self, inputs: Mapping[str, InputValue]) -> list[np.ndarray]:
        names = [c.name for c in self._manifest.capabilities]
        for name in inputs:
            if name not in names:
                raise CapabilityError(
                    f'the rune has no capability stage named "{name}" '
                    f"(capability stages: {', '.join(names) or 'none'})"
                )
        prepared = []
        for spec, feed in zip(self._manifest.capabilities, self._feeds, strict=True):
            data = as_u8(feed(inputs.get(spec.name)))
            check_length(spec, data.size)
            prepared.append(data)
        return prepared

    def run(self, inputs: Mapping[str, InputValue] | None = None) -> Outputs:
        """Run the pipeline once, exactly as `rune.runtime.host.Rune.run` does."""
        self._inputs = self._prepare(inputs or {})
        self._written = [[None] * len(o.inputs) for o in self._manifest.outputs]
        self.error = None
        self._bind_memory()
        self._running = True
        try:
            status = self._rune_run()
        except RuntimeError as exc:
            if self.error is not None:
                raise self.error from None
            raise RuneRunError(f"the rune trapped: {exc}") from None
        finally:
            self._running = False
        if self.error is not None:
            raise self.error
        if status != 0:
            raise RuneRunError(f"the rune failed with status {status}")
        results = Outputs()
        for spec, written in zip(self._manifest.outputs, self._written, strict=True):
            tensors = []
            for slot, (tensor, value) in enumerate(zip(spec.inputs, written, strict=True)):
                if value is None:
                    raise RuneRunError(
                        f'rune_run returned without writing output "{spec.name}" slot {slot}'
                    )
                data: np.ndarray | list[str] = (
                    value
                    if isinstance(value, list)
                    else np.frombuffer(value, tensor.dtype).reshape(tensor.dimensions)
                )
                tensors.append(TensorValue(tensor.element_type, tensor.dimensions, data))
            results.append(Output(spec.name, spec.kind, tensors))
        return results
