"""The host's two ways across the wasm boundary: wasmtime's unchecked raw path, or the public one.

wasmtime-py's public `Func.__call__` costs 10–27 µs per call and every `Linker.define_func`
import goes through `Val` objects. The C API's unchecked entry points skip the type checks and
value boxing (about 1 µs into the guest, under 0.5 µs back out), but wasmtime-py reaches them only
through its private `_bindings` module, whose layout may change with any release. So this module
is the only place that touches them, it does so only with the version it was written and tested
against (`PINNED_WASMTIME`), and it falls back to the public API with a stated reason otherwise.

Both paths share one import-body convention, so the host writes each import once:

    body(env, caller, address, nargs) -> 0

`address` is where the raw values lie (an int); the body's own `ArgViews` turns it into unsigned
32-bit words, `a = views[address]`: parameter `i` is `a[ARG_STRIDE * i]` (a raw value slot is 16
bytes) and a result is written to `a[0]`. `env`, `caller` and `nargs` are unused. A body must
never raise. Taking the address as a plain integer and looking its view up (wasmtime passes the
same few stack addresses run after run) costs less than letting ctypes build a pointer object
on every call.

Deadlines: the engine's epoch advances every tick (limits.py). The public path sets the store's
epoch deadline before every run (about 0.4 µs). The unchecked path instead sets a deadline of one
tick once, with a callback that runs on each tick the guest is executing: it lets the guest go on
until the run's wall time passes the deadline, then stops it. A run then only records its start
time.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import wasmtime

#: The wasmtime-py release whose private `_bindings` layout this module was checked against.
PINNED_WASMTIME = "50.0.1"
#: u32 words per raw value slot (`wasmtime_val_raw_t` is 16 bytes).
ARG_STRIDE = 4
_clock = time.perf_counter

ImportBody = Callable[[Any, Any, Any, int], int]
#: Enters the guest's `() -> i32` export once and returns its result; raises wasmtime.Trap or
#: wasmtime.WasmtimeError exactly as the public path does.
GuestCall = Callable[[], int]

_VOIDP = ctypes.c_void_p
_RAW_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_size_t, _VOIDP, _VOIDP, _VOIDP, ctypes.c_size_t)
_DEADLINE_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t, _VOIDP, _VOIDP, ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ctypes.c_uint8),
)  # fmt: skip


class ArgViews(dict[int, memoryview]):
    """One import's raw values by address: `views[address]` is a u32 memoryview of its
    `words` words there, made on first use and kept (up to `MAX_VIEWS` addresses; past that
    each is made afresh, so a caller that wanders cannot grow the cache)."""

    MAX_VIEWS = 64

    def __init__(self, words: int) -> None:
        super().__init__()
        self._array = ctypes.c_uint32 * words

    def __missing__(self, address: int) -> memoryview:
        view = memoryview(self._array.from_address(address)).cast("B").cast("I")
        if len(self) < self.MAX_VIEWS:
            self[address] = view
        return view


def arg_words(params: int, results: int) -> int:
    """u32 words of an import's raw value array."""
    return ARG_STRIDE * max(params, results, 1)


class Watchdog(Protocol):
    """Holds one store to a per-run wall-time deadline. `arm()` before each run returns the
    run's start (`time.perf_counter()`); after a failed run, `expired(exc)` tells (once)
    whether the deadline stopped it."""

    def arm(self) -> float: ...

    def expired(self, exc: Exception) -> bool: ...


@dataclass(frozen=True)
class CallPath:
    """One way across the boundary. `name` is "unchecked" or "public"; `reason` says why the
    public path was chosen (empty for the fast path)."""

    name: str
    reason: str
    define: Callable[[wasmtime.Linker, str, str, int, int, ImportBody], object]
    caller: Callable[[wasmtime.Store, wasmtime.Func], GuestCall]
    #: (store, deadline in seconds, ticks that cover it) -> the store's watchdog.
    watchdog: Callable[[wasmtime.Store, float, int], Watchdog]

    @property
    def fast(self) -> bool:
        return self.name == "unchecked"


# -- the public path ---------------------------------------------------------------------------


def _public_define(
    linker: wasmtime.Linker, module: str, name: str, params: int, results: int, body: ImportBody
) -> object:
    i32 = wasmtime.ValType.i32()
    slots = (ctypes.c_uint32 * arg_words(params, results))()
    address = ctypes.addressof(slots)

    def call(*values: int) -> int | None:
        for i, value in enumerate(values):
            slots[ARG_STRIDE * i] = value
        body(None, None, address, params)
        if not results:
            return None
        return ctypes.c_int32(slots[0]).value

    linker.define_func(module, name, wasmtime.FuncType([i32] * params, [i32] * results), call)
    return call


def _public_caller(store: wasmtime.Store, func: wasmtime.Func) -> GuestCall:
    return lambda: func(store)


class _EpochDeadline:
    """The public path: a fresh epoch deadline before every run."""

    def __init__(self, store: wasmtime.Store, seconds: float, ticks: int) -> None:
        self._set, self._ticks = store.set_epoch_deadline, ticks

    def arm(self) -> float:
        self._set(self._ticks)
        return time.perf_counter()

    def expired(self, exc: Exception) -> bool:
        return isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.INTERRUPT


def public_path(reason: str) -> CallPath:
    """The public path, saying why the fast one is not used."""
    return CallPath("public", reason, _public_define, _public_caller, _EpochDeadline)


# -- the unchecked path ------------------------------------------------------------------------


class _Unchecked:
    """Own function objects for the C entry points, with pointer-sized argument types, so that
    calls never touch wasmtime-py's shared declarations."""

    def __init__(self) -> None:
        from wasmtime import _bindings as b

        self.b = b
        self.define_func = self._function(
            "wasmtime_linker_define_func_unchecked",
            _VOIDP,
            [_VOIDP, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, _VOIDP,
             _RAW_CALLBACK, _VOIDP, _VOIDP],
        )  # fmt: skip
        # No argtypes: `caller` passes ctypes objects of the right types, which ctypes takes
        # as they are, without a from_param conversion per argument (0.15 µs a call).
        self.call = self._function("wasmtime_func_call_unchecked", _VOIDP, None)
        self.set_deadline = self._function(
            "wasmtime_context_set_epoch_deadline", None, [_VOIDP, ctypes.c_uint64]
        )
        self.on_deadline = self._function(
            "wasmtime_store_epoch_deadline_callback", None,
            [_VOIDP, _DEADLINE_CALLBACK, _VOIDP, _VOIDP],
        )  # fmt: skip
        self.error_new = self._function("wasmtime_error_new", _VOIDP, [ctypes.c_char_p])
        # Everything else the fast path relies on, so a missing piece fails here, not mid-run.
        for owner, attr in (
            (b, "wasm_trap_t"), (b, "wasmtime_error_t"), (wasmtime.Trap, "_from_ptr"),
            (wasmtime.WasmtimeError, "_from_ptr"), (wasmtime.Store, "_context"),
            (wasmtime.Store, "ptr"), (wasmtime.Linker, "ptr"), (wasmtime.FuncType, "ptr"),
        ):  # fmt: skip
            if not hasattr(owner, attr):
                raise AttributeError(f"{getattr(owner, '__name__', owner)}.{attr}")

    def _function(self, name: str, restype: Any, argtypes: list[Any] | None) -> Any:
        function = self.b.dll[name]  # a new object: wasmtime-py's own declaration is untouched
        function.restype = restype
        if argtypes is not None:
            function.argtypes = argtypes
        return function

    def _raise_error(self, error: int) -> None:
        raise wasmtime.WasmtimeError._from_ptr(
            ctypes.cast(error, ctypes.POINTER(self.b.wasmtime_error_t))
        )

    def define(
        self,
        linker: wasmtime.Linker,
        module: str,
        name: str,
        params: int,
        results: int,
        body: ImportBody,
    ) -> object:
        i32 = wasmtime.ValType.i32()
        ty = wasmtime.FuncType([i32] * params, [i32] * results)
        callback = _RAW_CALLBACK(body)
        mod, nm = module.encode(), name.encode()
        error = self.define_func(
            ctypes.cast(linker.ptr(), _VOIDP), mod, len(mod), nm, len(nm),
            ctypes.cast(ty.ptr(), _VOIDP), callback, None, None,
        )  # fmt: skip
        if error:
            self._raise_error(error)
        return (callback, ty)  # both must outlive the store

    def caller(self, store: wasmtime.Store, func: wasmtime.Func) -> GuestCall:
        raw_call, raise_error = self.call, self._raise_error
        context = _VOIDP(ctypes.cast(store._context(), _VOIDP).value)
        func_addr = _VOIDP(ctypes.addressof(func._func))
        slot = (ctypes.c_int32 * ARG_STRIDE)()
        slot_addr = _VOIDP(ctypes.addressof(slot))
        trap = _VOIDP()
        trap_addr = _VOIDP(ctypes.addressof(trap))
        trap_ptr = ctypes.POINTER(self.b.wasm_trap_t)
        one = ctypes.c_size_t(1)
        keep = (store, func)

        def call() -> int:
            error = raw_call(context, func_addr, slot_addr, one, trap_addr)
            if error:
                raise_error(error)
            if trap.value:
                raised, trap.value = trap.value, None
                raise wasmtime.Trap._from_ptr(ctypes.cast(raised, trap_ptr))
            return slot[0]

        call.keep = keep  # type: ignore[attr-defined]
        return call

    def watchdog(self, store: wasmtime.Store, seconds: float, ticks: int) -> Watchdog:
        return _TickCallback(self, store, seconds)


class _TickCallback:
    """The unchecked path: a one-tick deadline whose callback decides by wall time."""

    _MESSAGE = b"rune: wall-time deadline exceeded"

    def __init__(self, raw: _Unchecked, store: wasmtime.Store, seconds: float) -> None:
        self.started = 0.0
        self.stopped = False
        clock, error_new, message = time.perf_counter, raw.error_new, self._MESSAGE

        def on_tick(context: Any, data: Any, delta: Any, kind: Any) -> int:
            if clock() - self.started < seconds:
                delta[0], kind[0] = 1, 0  # look again next tick; continue
                return 0
            self.stopped = True
            return int(error_new(message))

        self._callback = _DEADLINE_CALLBACK(on_tick)
        self._store = store
        raw.on_deadline(ctypes.cast(store.ptr(), _VOIDP), self._callback, None, None)
        raw.set_deadline(ctypes.cast(store._context(), _VOIDP).value, 1)

    def arm(self) -> float:
        self.started = started = _clock()
        return started

    def expired(self, exc: Exception) -> bool:
        stopped, self.stopped = self.stopped, False
        return stopped


def _unchecked_path() -> CallPath:
    try:
        version = importlib.metadata.version("wasmtime")
    except importlib.metadata.PackageNotFoundError:
        version = getattr(wasmtime, "__version__", "unknown")
    if version != PINNED_WASMTIME:
        return public_path(
            f"wasmtime {version} is installed; the unchecked path is pinned to {PINNED_WASMTIME}"
        )
    try:
        raw = _Unchecked()
    except (ImportError, AttributeError) as exc:
        return public_path(f"wasmtime's private C bindings lack {exc}")
    return CallPath("unchecked", "", raw.define, raw.caller, raw.watchdog)


_best: CallPath | None = None


def call_path(fast: bool = True) -> CallPath:
    """The unchecked path when `fast` and available, else the public path (with its reason)."""
    global _best
    if not fast:
        return public_path("the public path was asked for")
    if _best is None:
        _best = _unchecked_path()
    return _best
