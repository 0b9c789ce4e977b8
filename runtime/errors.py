"""Exceptions raised by the rune runtime.

Every failure a user can cause (a bad file, a missing input, a broken rune) is a `RuneError`, so a
host or the `rune` CLI can catch one type and print one line instead of a traceback.
"""

from __future__ import annotations

# Defined under the container and model readers, in rune.abi, so they raise these very types.
from rune.abi.errors import ModelError, RuneError, RuneLoadError

__all__ = [
    "CapabilityError",
    "GuestMemoryError",
    "LimitError",
    "ModelError",
    "RuneError",
    "RuneLoadError",
    "RuneRunError",
]


class CapabilityError(RuneError):
    """A capability cannot produce its input: missing, unreadable, wrong size, unsupported kind."""


class RuneRunError(RuneError):
    """A run failed inside the rune: a trap, a non-zero status, or a broken ABI call."""


class GuestMemoryError(RuneRunError):
    """The rune passed a pointer/length that falls outside its own linear memory."""


class LimitError(RuneError):
    """A rune went past a resource limit (rune.runtime.limits): memory, deadline, model or
    tensor size."""
