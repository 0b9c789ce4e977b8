"""The host: load a `.rune`, link the six `rune` imports, and run the pipeline (docs/abi.md).

Design notes:
- One wasmtime Store/instance per `Rune`, reused for every run; models and capability readers
  are resolved at load time, so load fails early and runs do no setup work.
- Imports never raise into wasmtime (it would wrap the error in a trap): they record the first
  error, return a non-zero status, and `run` raises the recorded error once `rune_run` returns.
- Every (ptr, len) from the guest is checked against the memory size. The memory is frozen at
  its initial size (ABI v1: a rune never calls `memory.grow`), which keeps the numpy view over
  guest memory valid for the life of the instance.
- `_call_run` is the only place the guest is entered, so a faster call path can replace it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
import wasmtime

from . import capabilities as _caps
from . import handlers as _handlers
from .capabilities import CapabilityRegistry, InputValue
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

logger = logging.getLogger("rune.guest")

IMPORT_MODULE = "rune"
_I32 = "i32"
#: name -> (params, results), as in docs/abi.md "Imports".
IMPORT_SIGNATURES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "capability_read": ((_I32,) * 3, (_I32,)),
    "model_set_input": ((_I32,) * 4, (_I32,)),
    "model_invoke": ((_I32,), (_I32,)),
    "model_get_output": ((_I32,) * 4, (_I32,)),
    "output_write": ((_I32,) * 4, (_I32,)),
    "log": ((_I32,) * 3, ()),
}
_LOG_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}


class Status(IntEnum):
    """Non-zero statuses the host's imports return; the message stays on the host side."""

    OK = 0
    CAPABILITY = 1
    MODEL = 2
    OUTPUT = 3
    MEMORY = 4
    INTERNAL = 5


@dataclass(frozen=True)
class TensorValue:
    """One tensor handed out by an output stage: a numpy array, or `list[str]` for utf8."""

    element_type: str
    dimensions: tuple[int, ...]
    data: np.ndarray | list[str]


@dataclass(frozen=True)
class Output:
    """What one output stage received in one run, one tensor per input slot."""

    name: str
    kind: str
    tensors: list[TensorValue]


@dataclass
class _RunState:
    """Per-run data the imports read and fill."""

    inputs: list[np.ndarray]
    outputs: list[list[TensorValue | None]]
    error: RuneError | None = None
    status: Status = Status.OK

    def record(self, error: RuneError, status: Status) -> int:
        if self.error is None:  # the first failure is the cause; later ones are fallout
            self.error, self.status = error, status
        return int(status)


_default_engine: wasmtime.Engine | None = None


def default_engine() -> wasmtime.Engine:
    """A process-wide Engine: creating one is costly and modules compiled for it are shared."""
    global _default_engine
    if _default_engine is None:
        _default_engine = wasmtime.Engine()
    return _default_engine


def _valtypes(types: Sequence[Any]) -> tuple[str, ...]:
    return tuple(str(t) for t in types)


def _check_module(module: wasmtime.Module) -> None:
    """Refuse modules whose imports/exports do not match ABI v1, with the exact culprit."""
    for imp in module.imports:
        where = f'import "{imp.module}" "{imp.name}"'
        if imp.module != IMPORT_MODULE or imp.name not in IMPORT_SIGNATURES:
            raise RuneLoadError(
                f"the rune needs {where}, which ABI v1 does not provide "
                f"(available: {', '.join(IMPORT_SIGNATURES)} from module {IMPORT_MODULE!r})"
            )
        want = IMPORT_SIGNATURES[imp.name]
        ty = imp.type
        if (
            not isinstance(ty, wasmtime.FuncType)
            or (_valtypes(ty.params), _valtypes(ty.results)) != want
        ):
            raise RuneLoadError(f"{where} has the wrong type (ABI v1: {want[0]} -> {want[1]})")
    exports = {e.name: e.type for e in module.exports}
    if not isinstance(exports.get("memory"), wasmtime.MemoryType):
        raise RuneLoadError('the rune does not export its memory as "memory"')
    run = exports.get("rune_run")
    if not isinstance(run, wasmtime.FuncType):
        raise RuneLoadError('the rune does not export a "rune_run" function')
    if _valtypes(run.params) or _valtypes(run.results) != (_I32,):
        raise RuneLoadError('the rune\'s "rune_run" export must have type () -> i32')


def _trap_message(exc: Exception) -> str:
    """The one line of a wasmtime trap message that says what happened."""
    text = getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("wasm trap:"):
            return line.removeprefix("wasm trap:").strip()
    return lines[-1] if lines else type(exc).__name__


class Rune:
    """A loaded rune, ready to `run` any number of times.

    Not thread-safe: one run at a time per instance (the guest memory is shared state).
    """

    def __init__(
        self,
        container: RuneContainer,
        *,
        seed: int = 0,
        engine: wasmtime.Engine | None = None,
        handlers: HandlerRegistry | None = None,
        capabilities: CapabilityRegistry | None = None,
        on_log: Callable[[int, str], None] | None = None,
    ) -> None:
        """Prefer `Rune.load`; this takes an already parsed container."""
        self._container = container
        self._manifest = parse_manifest(container.manifest)
        self._rng = np.random.default_rng(seed)
        self._on_log = on_log
        registry = capabilities if capabilities is not None else _caps.default_registry
        self._capabilities = registry
        self._readers = [registry.reader(spec) for spec in self._manifest.capabilities]
        handler_registry = handlers if handlers is not None else _handlers.default_registry
        self._models: list[ModelHandler] = [
            handler_registry.create(spec, container.blob(spec.blob.offset, spec.blob.length))
            for spec in self._manifest.models
        ]
        self._state: _RunState | None = None
        self._instantiate(engine or default_engine())

    @classmethod
    def load(
        cls,
        source: bytes | bytearray | memoryview | str | os.PathLike[str],
        *,
        seed: int = 0,
        engine: wasmtime.Engine | None = None,
        handlers: HandlerRegistry | None = None,
        capabilities: CapabilityRegistry | None = None,
        on_log: Callable[[int, str], None] | None = None,
    ) -> Rune:
        """Load a `.rune` from a path or its bytes.

        `seed` seeds RAND capabilities; `handlers`/`capabilities` override the default
        registries; `on_log(level, message)` receives the rune's `log` calls (they also go to
        the `rune.guest` logger). Raises RuneLoadError, ModelError, CapabilityError, OSError.
        """
        if isinstance(source, (str, os.PathLike)):
            data: bytes | bytearray | memoryview = Path(source).read_bytes()
        else:
            data = source
        return cls(
            read_rune(data),
            seed=seed,
            engine=engine,
            handlers=handlers,
            capabilities=capabilities,
            on_log=on_log,
        )

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    @property
    def container(self) -> RuneContainer:
        return self._container

    # -- wasm setup ---------------------------------------------------------------------------

    def _instantiate(self, engine: wasmtime.Engine) -> None:
        try:
            module = wasmtime.Module(engine, self._container.wasm)
        except wasmtime.WasmtimeError as exc:
            raise RuneLoadError(f"invalid wasm module: {_trap_message(exc)}") from None
        _check_module(module)
        self._store = wasmtime.Store(engine)
        linker = wasmtime.Linker(engine)
        i32 = wasmtime.ValType.i32()
        bodies: dict[str, Callable[..., Any]] = {
            "capability_read": self._guard(self._capability_read, Status.CAPABILITY),
            "model_set_input": self._guard(self._model_set_input, Status.MODEL),
            "model_invoke": self._guard(self._model_invoke, Status.MODEL),
            "model_get_output": self._guard(self._model_get_output, Status.MODEL),
            "output_write": self._guard(self._output_write, Status.OUTPUT),
            "log": self._guard(self._log, Status.INTERNAL, returns=False),
        }
        for name, (params, results) in IMPORT_SIGNATURES.items():
            ty = wasmtime.FuncType([i32] * len(params), [i32] * len(results))
            linker.define_func(IMPORT_MODULE, name, ty, bodies[name])
        # A start function may call imports: give it an empty run state and report failures.
        self._state = self._new_state(inputs=[])
        try:
            instance = linker.instantiate(self._store, module)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise RuneLoadError(f"the rune failed to start: {_trap_message(exc)}") from None
        finally:
            state, self._state = self._state, None
        if state.error is not None:
            raise RuneLoadError(f"the rune failed to start: {state.error}")
        exports = instance.exports(self._store)
        self._memory: wasmtime.Memory = exports["memory"]
        self._rune_run: wasmtime.Func = exports["rune_run"]
        self._mem_len = self._memory.data_len(self._store)
        # Freeze the memory: memory.grow now returns -1, so this view can never dangle.
        self._store.set_limits(memory_size=self._mem_len)
        if self._mem_len:
            ptr = self._memory.data_ptr(self._store)
            self._mem = np.ctypeslib.as_array(ptr, shape=(self._mem_len,))
        else:
            self._mem = np.zeros(0, dtype=np.uint8)

    def _guard(
        self, body: Callable[..., None], status: Status, *, returns: bool = True
    ) -> Callable[..., Any]:
        """Wrap an import so every failure is recorded host-side and becomes a status."""

        def call(*args: int) -> int | None:
            state = self._state
            try:
                if state is None:
                    raise RuneRunError("the rune called an import outside rune_run")
                body(state, *args)
                return 0 if returns else None
            except RuneError as exc:
                code = Status.MEMORY if isinstance(exc, GuestMemoryError) else status
                error = exc
            except Exception as exc:  # a bug in a handler or reader must not escape as a trap
                code = Status.INTERNAL
                error = RuneRunError(f"internal error in import {body.__name__}: {exc!r}")
                error.__cause__ = exc
            if state is not None:
                state.record(error, code)
            return int(code) if returns else None

        return call

    # -- imports ------------------------------------------------------------------------------

    def _span(self, ptr: int, length: int, what: str) -> tuple[int, int]:
        """Bounds-check a guest (ptr, len); i32 arguments arrive signed, the ABI means u32."""
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

    def _capability_read(self, state: _RunState, cap: int, ptr: int, length: int) -> None:
        spec = self._pick(self._manifest.capabilities, cap, "capability")
        what = f'capability_read for stage "{spec.name}"'
        start, end = self._span(ptr, length, what)
        self._check_size(spec.tensor, end - start, what)
        self._mem[start:end] = state.inputs[cap]

    def _model_set_input(
        self, state: _RunState, model: int, slot: int, ptr: int, length: int
    ) -> None:
        spec = self._pick(self._manifest.models, model, "model")
        tensor = self._pick(spec.inputs, slot, f'input slot of model "{spec.name}"')
        what = f'model_set_input for model "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        view = self._mem[start:end]
        if tensor.element_type != "utf8":
            view = view.view(tensor.dtype).reshape(tensor.dimensions)
        self._models[model].set_input(slot, view)

    def _model_invoke(self, state: _RunState, model: int) -> None:
        self._pick(self._manifest.models, model, "model")
        self._models[model].invoke()

    def _model_get_output(
        self, state: _RunState, model: int, slot: int, ptr: int, length: int
    ) -> None:
        spec = self._pick(self._manifest.models, model, "model")
        tensor = self._pick(spec.outputs, slot, f'output slot of model "{spec.name}"')
        what = f'model_get_output for model "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        data = _caps.as_u8(self._models[model].get_output(slot))
        if data.size != end - start:
            raise ModelError(
                f'model "{spec.name}" output {slot} is {data.size} bytes but the manifest '
                f"declares {tensor.describe()} ({tensor.nbytes} bytes)"
            )
        self._mem[start:end] = data

    def _output_write(
        self, state: _RunState, output: int, slot: int, ptr: int, length: int
    ) -> None:
        spec = self._pick(self._manifest.outputs, output, "output")
        tensor = self._pick(spec.inputs, slot, f'input slot of output "{spec.name}"')
        what = f'output_write for output "{spec.name}" slot {slot}'
        start, end = self._span(ptr, length, what)
        self._check_size(tensor, end - start, what)
        if tensor.element_type == "utf8":
            data: np.ndarray | list[str] = self._read_strings(start, end, what)
        else:
            view = self._mem[start:end].view(tensor.dtype).reshape(tensor.dimensions)
            data = np.array(view, dtype=tensor.dtype.newbyteorder("="))  # aligned copy
        state.outputs[output][slot] = TensorValue(tensor.element_type, tensor.dimensions, data)

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

    def _log(self, state: _RunState, level: int, ptr: int, length: int) -> None:
        start, end = self._span(ptr, length, "log")
        message = self._mem[start:end].tobytes().decode("utf-8", errors="replace")
        logger.log(_LOG_LEVELS.get(level, logging.DEBUG), "%s: %s", self._manifest.name, message)
        if self._on_log is not None:
            self._on_log(level, message)

    # -- running ------------------------------------------------------------------------------

    def _new_state(self, inputs: list[np.ndarray]) -> _RunState:
        return _RunState(inputs, [[None] * len(o.inputs) for o in self._manifest.outputs])

    def _prepare_inputs(self, inputs: Mapping[str, InputValue]) -> list[np.ndarray]:
        """Read every capability before entering the guest, so input errors come first."""
        names = {c.name for c in self._manifest.capabilities}
        unknown = sorted(set(inputs) - names)
        if unknown:
            known = ", ".join(c.name for c in self._manifest.capabilities) or "none"
            raise CapabilityError(
                f'the rune has no capability stage named "{unknown[0]}" '
                f"(capability stages: {known})"
            )
        prepared = []
        for spec, reader in zip(self._manifest.capabilities, self._readers, strict=True):
            value = inputs.get(spec.name)
            data = _caps.as_u8(reader(_caps.CapabilityRequest(spec, value, self._rng)))
            self._capabilities.check_length(spec, data)
            prepared.append(data)
        return prepared

    def _call_run(self) -> int:
        """Enter the guest once. The single call site a faster raw call path would replace."""
        return self._rune_run(self._store)

    def run(self, inputs: Mapping[str, InputValue] | None = None) -> list[Output]:
        """Run the pipeline once; `inputs` maps capability stage names to a path, bytes or an
        array. Returns one Output per output stage, in manifest order."""
        state = self._new_state(self._prepare_inputs(inputs or {}))
        self._state = state
        try:
            status = self._call_run()
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            if state.error is not None:  # the rune trapped after an import failed
                raise state.error from None
            raise RuneRunError(f"the rune trapped: {_trap_message(exc)}") from None
        finally:
            self._state = None
        if state.error is not None:
            raise state.error
        if status != 0:
            raise RuneRunError(f"the rune failed with status {status}")
        results = []
        for spec, written in zip(self._manifest.outputs, state.outputs, strict=True):
            for slot, value in enumerate(written):
                if value is None:
                    raise RuneRunError(
                        f'rune_run returned without writing output "{spec.name}" slot {slot}'
                    )
            results.append(Output(spec.name, spec.kind, [v for v in written if v is not None]))
        return results
