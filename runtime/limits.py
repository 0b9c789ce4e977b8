"""Resource limits for untrusted runes, and the clock that enforces the wall-time deadline.

- `memory_bytes`: the cap on the rune's linear memory (wasmtime StoreLimits). A module whose
  initial memory is larger fails to load; the memory is then frozen at its initial size, since a
  rune never grows it (docs/abi.md), so `memory.grow` returns -1.
- `deadline_s`: wall time one `run` may spend in wasm code. Enforced by epoch interruption: a
  daemon thread advances the engine's epoch every `TICK_S` seconds and the rune traps once its
  deadline in ticks has passed, so the deadline holds to within one tick. Time inside a model
  handler (LiteRT, onnxruntime) is native code that cannot be interrupted; it counts once the
  rune resumes.
- `max_model_bytes`: the largest model blob the rune may carry.
- `max_tensor_bytes`: the largest tensor the manifest may declare, and so the largest input a
  capability may produce or a model may receive. (Decoded images are also bounded by Pillow's
  decompression-bomb check.)

`None` turns a limit off.
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from dataclasses import dataclass

import wasmtime

MIB = 1 << 20
#: Epoch tick period, in seconds.
TICK_S = 0.01


@dataclass(frozen=True)
class Limits:
    """What one loaded rune may use. The defaults fit every peer-suite rune with room to spare."""

    memory_bytes: int | None = 1024 * MIB
    deadline_s: float | None = 60.0
    max_model_bytes: int | None = 512 * MIB
    max_tensor_bytes: int | None = 256 * MIB

    def __post_init__(self) -> None:
        for name in ("memory_bytes", "max_model_bytes", "max_tensor_bytes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or not 0 < value <= MAX_SIZE):
                raise ValueError(f"Limits.{name} must be a positive integer or None, got {value!r}")
        if self.deadline_s is not None and not (
            isinstance(self.deadline_s, (int, float)) and 0 < self.deadline_s <= MAX_SECONDS
        ):
            raise ValueError(
                f"Limits.deadline_s must be positive seconds or None, got {self.deadline_s!r}"
            )

    @property
    def deadline_ticks(self) -> int | None:
        """The deadline in epoch ticks (+1: the first tick may come at once)."""
        if self.deadline_s is None:
            return None
        return math.ceil(self.deadline_s / TICK_S) + 1


_SIZE = re.compile(r"^\s*(\d{1,20}(?:\.\d{1,20})?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
MAX_SIZE = 1 << 62  # bytes; larger is no limit at all (say `none`)
MAX_SECONDS = 30 * 24 * 3600.0  # a month; longer is no deadline at all (say `none`)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int | None:
    """`512M`, `1GiB`, `4096`, `64kb` (binary units) -> bytes; `none`/`off` -> None."""
    if text.strip().lower() in ("none", "off", "unlimited"):
        return None
    match = _SIZE.match(text)
    if not match:
        shown = text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} chars)"
        raise ValueError(f"not a size: {shown!r} (examples: 64M, 1GiB, 4096, none)")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value < 1:
        raise ValueError(f"a size must be at least 1 byte, got {text!r}")
    if value > MAX_SIZE:
        raise ValueError(f"a size must be at most {MAX_SIZE} bytes (or none), got {text!r}")
    return int(value)


def parse_seconds(text: str) -> float | None:
    """`2.5`, `2.5s`, `500ms` -> seconds; `none`/`off` -> None."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "off", "unlimited"):
        return None
    scale = 1.0
    if cleaned.endswith("ms"):
        cleaned, scale = cleaned[:-2], 1e-3
    elif cleaned.endswith("s"):
        cleaned = cleaned[:-1]
    try:
        value = float(cleaned) * scale
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (examples: 2.5, 500ms, none)") from None
    if not 0 < value < math.inf:
        raise ValueError(f"a duration must be positive, got {text!r}")
    if value > MAX_SECONDS:
        raise ValueError(f"a duration must be at most {MAX_SECONDS:.0f} seconds (or none), "
                         f"got {text!r}")
    return value


class _Ticker:
    """A daemon thread advancing the engine's epoch every TICK_S while a rune with a deadline is
    alive; it ends when none is left and starts again with the next."""

    def __init__(self) -> None:
        self._users: weakref.WeakSet[object] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._running = False

    def attach(self, engine: wasmtime.Engine, user: object) -> None:
        with self._lock:
            self._users.add(user)
            if not self._running:
                self._running = True
                threading.Thread(
                    target=self._loop, args=(engine,), name="rune-epoch", daemon=True
                ).start()

    def _loop(self, engine: wasmtime.Engine) -> None:
        while True:
            time.sleep(TICK_S)
            engine.increment_epoch()
            with self._lock:
                if not self._users:
                    self._running = False
                    return


_ticker = _Ticker()


def keep_ticking(engine: wasmtime.Engine, user: object) -> None:
    """Advance the epoch of `engine` (the runtime's one engine) while `user` is alive."""
    _ticker.attach(engine, user)
