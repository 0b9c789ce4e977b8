"""The rune's wasm side: one Store and instance, the six `rune` imports, and entering `rune_run`.

Each import has a fast body for the common case (indices in range, sizes as declared, memory in
bounds, a model whose tensors have fixed addresses) that does one memoryview copy and returns 0
(a ctypes memmove call costs four times as much as the copy of a small tensor). Anything
else falls to the checked implementation (`abi.CheckedImports`, shared with the wasm3 host),
which validates every argument, records the first error with its message (imports never raise
into wasmtime: it would wrap the error in a trap) and returns the non-zero status of
docs/abi.md; `Guest.run` raises the recorded error once `rune_run` returns.

Guest memory is frozen at its initial size after instantiation (ABI v1: a rune never calls
`memory.grow`), so the base address and the numpy view over it stay valid for the instance's
life. The memory cap applies before that, when the module declares its initial memory.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import wasmtime
from rune.abi.imports import IMPORT_MODULE, IMPORTS, IMPORTS_BY_NAME

from . import compiled
from .abi import CheckedImports, abi_import
from .errors import LimitError, RuneError, RuneLoadError, RuneRunError
from .fastcall import ArgViews, CallPath, ImportBody, Watchdog, arg_words
from .handlers import DirectBuffers, ModelHandler
from .limits import Limits
from .manifest import Manifest

_I32 = "i32"
#: Stage timings for `rune bench`: key -> [nanoseconds, calls] accumulated in the current run.
Timings = dict[str, list[int]]
#: `inputs[cap]` for a capability whose bytes the host wrote straight into its guest slot
#: (`Rune.input_buffer`): capability_read has nothing to copy.
IN_PLACE = object()
#: The status a discovery run stops `rune_run` with, once it has seen the input slots.
_DISCOVERED = 0x7FFF
#: Where `Timings` keeps the clock reading of each `probe(id)` call of the current run, by id.
PROBES_KEY = "probe"
MAX_PROBES = 1 << 16  # a hostile rune's probe ids cannot make the host allocate more
_START_REFUSAL = "the rune called an import from its start function"
_clock = time.perf_counter


def _valtypes(types: Sequence[Any]) -> tuple[str, ...]:
    return tuple(str(t) for t in types)


def check_module(module: wasmtime.Module) -> None:
    """Refuse modules whose imports/exports do not match ABI v1, with the exact culprit."""
    for imp in module.imports:
        where = abi_import(imp.module, imp.name)
        entry = IMPORTS_BY_NAME[imp.name]
        want = (entry.wasm_params, entry.wasm_results)
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


def trap_message(exc: Exception) -> str:
    """The one line of a wasmtime trap message that says what happened."""
    text = getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("wasm trap:"):
            return line.removeprefix("wasm trap:").strip()
    return lines[-1] if lines else type(exc).__name__


class Guest(CheckedImports):
    """One instance of a rune's module, linked to the host's imports and reused for every run.

    Not thread-safe: one run at a time (the guest memory is shared state).
    """

    def __init__(
        self,
        module: wasmtime.Module,
        manifest: Manifest,
        models: Sequence[ModelHandler],
        path: CallPath,
        limits: Limits,
        on_log: Callable[[int, str], None] | None = None,
        timings: Timings | None = None,
        output_views: bool = False,
    ) -> None:
        """`output_views`: outputs are read-only views of guest memory, valid until the next
        run, instead of copies."""
        check_module(module)
        self._output_views = output_views
        #: While `input_slots` runs: capability index -> (ptr, len) of each leading read.
        self._discovery: dict[int, tuple[int, int]] | None = None
        self._last_leading = -1
        # Until instantiated, an import can only come from the start function.
        super().__init__(manifest, models, on_log, _START_REFUSAL)
        self._limits = limits

        ticks = limits.deadline_ticks
        self._deadline = limits.deadline_s
        # Without a deadline the module was compiled with no epoch checks (compiled.engine).
        engine = compiled.engine(deadline=ticks is not None)
        store = wasmtime.Store(engine)
        self._store = store
        if limits.memory_bytes is not None:
            store.set_limits(memory_size=limits.memory_bytes)
        self._watchdog: Watchdog | None = None
        if ticks is not None:
            self._watchdog = path.watchdog(store, limits.deadline_s, ticks)
            self._watchdog.arm()  # covers the start function
        linker = wasmtime.Linker(engine)
        bodies, self._bind = self._fast_bodies()
        if timings is not None:
            bodies = _timed(bodies, timings)
        self._keep_imports = [
            path.define(linker, IMPORT_MODULE, imp.name, len(imp.wasm_params),
                        len(imp.wasm_results), bodies[imp.name])
            for imp in IMPORTS
        ]
        try:
            instance = linker.instantiate(store, module)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise self._start_error(exc) from None
        if self.error is not None:
            raise RuneLoadError(f"the rune failed to start: {self.error}")
        exports = instance.exports(store)
        memory: wasmtime.Memory = exports["memory"]
        self._mem_len = memory.data_len(store)
        store.set_limits(memory_size=self._mem_len)  # memory.grow now returns -1
        if self._mem_len:  # else the empty view CheckedImports starts with
            self._mem = np.ctypeslib.as_array(memory.data_ptr(store), shape=(self._mem_len,))
        self._bind(self._mem, self._mem_len)
        self._refusal = None
        self._call = path.caller(store, exports["rune_run"])

    def _start_error(self, exc: Exception) -> RuneError:
        message = trap_message(exc)
        if self._watchdog is not None and self._watchdog.expired(exc):
            return LimitError("the rune's start function ran past the deadline")
        if self._limits.memory_bytes is not None and "memory" in message and "limit" in message:
            return LimitError(
                f"the rune's initial memory is larger than the memory cap of "
                f"{self._limits.memory_bytes} bytes (limit memory_bytes / --max-memory): "
                f"{message}"
            )
        if self.error is not None:
            return RuneLoadError(f"the rune failed to start: {self.error}")
        return RuneLoadError(f"the rune failed to start: {message}")

    # -- running ------------------------------------------------------------------------------

    def run(self) -> None:
        """Enter `rune_run` once with `inputs` set; afterwards `written` holds every output
        tensor. Raises the first recorded import error, a trap, or a non-zero status."""
        self.error = None  # what `_begin_run` does, without its call on the hot path
        self.written[:] = self._nones
        watchdog = self._watchdog
        if watchdog is None:
            try:
                status = self._call()
            except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
                raise self._run_error(exc) from None
        else:
            started = watchdog.arm()
            try:
                status = self._call()
            except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
                raise self._run_error(exc) from None
            if _clock() - started > self._deadline:
                # a host call (a model's invoke, say) ran past the deadline and the rune then
                # returned before wasm code could be interrupted: the run still does not count
                raise LimitError(
                    f"the rune ran past its deadline of {self._deadline:g} s, in a host call "
                    "(limit deadline_s / --timeout)")
        if status or self.error is not None:
            self._finish_run(status)

    def _run_error(self, exc: Exception) -> RuneError:
        """What a trapped run raises: the import failure that caused it, the deadline, or the
        trap itself."""
        if self.error is not None:  # the rune trapped after an import failed
            return self.error
        if self._watchdog is not None and self._watchdog.expired(exc):
            return LimitError(
                f"the rune ran past its deadline of {self._deadline:g} s and was "
                "stopped (limit deadline_s / --timeout)"
            )
        return RuneRunError(f"the rune trapped: {trap_message(exc)}")

    def input_slots(self) -> dict[int, tuple[int, int]]:
        """Where each capability read before the pipeline's first other stage keeps its tensor:
        index -> (ptr, len). Found by entering `rune_run` and stopping it at the last of those
        reads, before any kernel, model or output runs (nothing is copied, no state changes)."""
        leading = []
        for stage in self.manifest.stages:
            if stage.kind != "capability":
                break
            leading.append(next(c.index for c in self.manifest.capabilities
                                if c.name == stage.name))
        if not leading:
            return {}
        self._discovery, self._last_leading = {}, leading[-1]
        try:
            self._begin_run()
            status = self._call()
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise RuneRunError(f"the rune trapped: {trap_message(exc)}") from None
        finally:
            found, self._discovery = self._discovery, None
        if status != _DISCOVERED:
            raise RuneRunError("the rune did not read its capabilities first; it has no fixed "
                               "input slots")
        return found

    # -- the fast import bodies ---------------------------------------------------------------

    def _fast_bodies(self) -> tuple[dict[str, ImportBody], Callable[[np.ndarray, int], None]]:
        mem_array = np.zeros(0, dtype=np.uint8)
        mem = memoryview(mem_array)
        words = mem  # mem as little-endian u32 words (the host's order), once bound
        mem_len = 0  # 0 until bound: every fast check fails, so the checked path decides
        capabilities = self.manifest.capabilities
        inputs, cap_sizes = self.inputs, [c.tensor.nbytes for c in capabilities]
        # Where each capability last read an array input (see capability_read): its pointer
        # and a view of the tensor there, typed as the tensor.
        cap_views: list[tuple[int, np.ndarray | None]] = [(-1, None)] * len(capabilities)
        cap_types = [(c.tensor.dtype, c.tensor.dimensions) for c in capabilities]
        ndarray = np.ndarray
        in_bufs = [self._buffers(i, "input") for i in range(len(self._models))]
        out_bufs = [self._buffers(i, "output") for i in range(len(self._models))]
        invokers = [m.invoke for m in self._models]
        written, out_keys, out_sizes = self.written, self._out_keys, self._out_sizes
        utf8_sizes = self._utf8_sizes
        checked = self._checked
        # The status each import reports when it fails: the ABI's table says (as for wasm3).
        failure = {imp.name: imp.failure for imp in IMPORTS}
        args = import_views()
        cap_args, in_args, invoke_args = (args["capability_read"], args["model_set_input"],
                                          args["model_invoke"])  # fmt: skip
        out_args, write_args, log_args = (args["model_get_output"], args["output_write"],
                                          args["log"])  # fmt: skip

        def bind(memory: np.ndarray, length: int) -> None:
            nonlocal mem_array, mem, words, mem_len
            mem_array, mem, mem_len = memory, memoryview(memory), length
            words = mem[: length & ~3].cast("I")

        views = self._output_views

        # Parameter i of an import is a[4 * i] (fastcall.ARG_STRIDE); literals keep it cheap.
        def capability_read(env: Any, caller: Any, address: int, n: int) -> int:
            a = cap_args[address]
            try:
                cap, ptr = a[0], a[4]
                end = ptr + a[8]
                if end - ptr == cap_sizes[cap] and end <= mem_len:
                    data = inputs[cap]
                    if self._discovery is not None:
                        self._discovery[cap] = (ptr, end - ptr)
                        a[0] = _DISCOVERED if cap == self._last_leading else 0
                        return 0
                    if type(data) is ndarray:  # of the tensor's dtype and dimensions
                        view = cap_views[cap]
                        if view[0] != ptr:  # a view of [ptr, end), checked above
                            dtype, dims = cap_types[cap]
                            view = cap_views[cap] = (
                                ptr, mem_array[ptr:end].view(dtype).reshape(dims))
                        view[1][...] = data  # type: ignore[index]
                    elif data is not IN_PLACE:
                        mem[ptr:end] = data
                    a[0] = 0
                    return 0
            except Exception:  # anything unusual: let the checked path explain it
                pass
            a[0] = checked(self._capability_read, failure["capability_read"], a[0], a[4], a[8])
            return 0

        def model_set_input(env: Any, caller: Any, address: int, n: int) -> int:
            a = in_args[address]
            try:
                buffer = in_bufs[a[0]][a[4]]
                ptr = a[8]
                end = ptr + a[12]
                if end - ptr == len(buffer) and end <= mem_len:
                    buffer[:] = mem[ptr:end]
                    a[0] = 0
                    return 0
            except Exception:
                pass
            a[0] = checked(self._model_set_input, failure["model_set_input"],
                           a[0], a[4], a[8], a[12])
            return 0

        def model_invoke(env: Any, caller: Any, address: int, n: int) -> int:
            a = invoke_args[address]
            try:
                invokers[a[0]]()
                a[0] = 0
            except Exception as exc:
                a[0] = checked(self._invoke_failed, failure["model_invoke"], a[0], exc)
            return 0

        def model_get_output(env: Any, caller: Any, address: int, n: int) -> int:
            a = out_args[address]
            try:
                buffer = out_bufs[a[0]][a[4]]
                ptr = a[8]
                end = ptr + a[12]
                if end - ptr == len(buffer) and end <= mem_len:
                    mem[ptr:end] = buffer
                    a[0] = 0
                    return 0
            except Exception:
                pass
            a[0] = checked(self._model_get_output, failure["model_get_output"],
                           a[0], a[4], a[8], a[12])
            return 0

        def output_write(env: Any, caller: Any, address: int, n: int) -> int:
            a = write_args[address]
            try:
                key = out_keys[a[0]][a[4]]
                ptr = a[8]
                end = ptr + a[12]
                if end - ptr == out_sizes[key] and end <= mem_len:
                    written[key] = mem[ptr:end].toreadonly() if views else mem[ptr:end].tobytes()
                    a[0] = 0
                    return 0
                if end - ptr == utf8_sizes[key] and end <= mem_len and not ptr & 3:
                    # (ptr, len) u32 pairs at an aligned ptr: read straight from `words`
                    strings = []
                    for i in range(ptr >> 2, end >> 2, 2):
                        start = words[i]
                        stop = start + words[i + 1]
                        if stop > mem_len:
                            break  # the checked path names the string outside memory
                        strings.append(str(mem[start:stop], "utf-8"))
                    else:
                        written[key] = strings
                        a[0] = 0
                        return 0
            except Exception:  # invalid UTF-8 among them
                pass
            a[0] = checked(self._output_write, failure["output_write"], a[0], a[4], a[8], a[12])
            return 0

        def log(env: Any, caller: Any, address: int, n: int) -> int:
            a = log_args[address]
            checked(self._log, failure["log"], a[0], a[4], a[8])
            return 0

        def probe(env: Any, caller: Any, address: int, n: int) -> int:
            return 0  # `_timed` records the clock; untimed, a probe does nothing

        bodies: dict[str, ImportBody] = {
            "capability_read": capability_read,
            "model_set_input": model_set_input,
            "model_invoke": model_invoke,
            "model_get_output": model_get_output,
            "output_write": output_write,
            "log": log,
            "probe": probe,
        }
        return bodies, bind

    def _buffers(self, model: int, kind: str) -> list[memoryview | None]:
        """A byte view of each slot's tensor for a handler with fixed buffers, else None per
        slot (its tensors go through the checked path, via set_input/get_output)."""
        handler, spec = self._models[model], self.manifest.models[model]
        tensors = spec.inputs if kind == "input" else spec.outputs
        if not isinstance(handler, DirectBuffers):
            return [None] * len(tensors)
        address = handler.input_address if kind == "input" else handler.output_address
        return [
            memoryview((ctypes.c_ubyte * t.nbytes).from_address(address(slot))).cast("B")
            for slot, t in enumerate(tensors)
        ]

    # -- the checked import implementations (the rest are CheckedImports') ---------------------

    def _invoke_failed(self, model: int, exc: Exception) -> None:
        spec = self._pick(self.manifest.models, model, "model")
        if isinstance(exc, RuneError):
            raise exc
        raise RuneRunError(f'internal error in model "{spec.name}": {exc!r}') from exc


def import_views() -> dict[str, ArgViews]:
    """A fresh `ArgViews` for each import, sized by its type in the ABI's table."""
    return {imp.name: ArgViews(arg_words(len(imp.wasm_params), len(imp.wasm_results)))
            for imp in IMPORTS}  # fmt: skip


def _timed(bodies: dict[str, ImportBody], timings: Timings) -> dict[str, ImportBody]:
    """Wrap each body to add its time and a call to `timings` under the import's name, or
    `model:<index>` for the three model imports; `probe(id)` stores the clock at index id of
    the list `timings[PROBES_KEY]`."""
    clock = time.perf_counter_ns
    views = import_views()
    probe_args = views["probe"]

    def probe(env: Any, caller: Any, address: int, n: int) -> int:
        now = clock()
        stamps = timings.get(PROBES_KEY)
        if stamps is None:
            stamps = timings[PROBES_KEY] = []
        probe_id = probe_args[address][0]
        if not 0 <= probe_id < MAX_PROBES:
            return 0
        if probe_id >= len(stamps):
            stamps.extend([0] * (probe_id + 1 - len(stamps)))
        stamps[probe_id] = now
        return 0

    def wrap(name: str, body: ImportBody) -> ImportBody:
        per_model = name.startswith("model_")
        args = views[name]

        def call(env: Any, caller: Any, address: int, n: int) -> int:
            key = f"model:{args[address][0]}" if per_model else name
            start = clock()
            body(env, caller, address, n)
            elapsed = clock() - start
            entry = timings.get(key)
            if entry is None:
                timings[key] = [elapsed, 1]
            else:
                entry[0] += elapsed
                entry[1] += 1
            return 0

        return call

    timed = {name: wrap(name, body) for name, body in bodies.items() if name != "probe"}
    return {**timed, "probe": probe}
