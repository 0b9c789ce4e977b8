"""Errors of the contract between compiler and device.

They are defined here, at the bottom of the layering, so the container and model readers can raise
the runtime's own types: `rune.runtime.errors` re-exports them, and a host or the compiler catches
one type whoever raised it.
"""

from __future__ import annotations


class RuneError(Exception):
    """Base class of every error the runtime (and the ABI readers under it) raise on purpose."""


class RuneLoadError(RuneError):
    """The `.rune` file cannot be loaded: not wasm, truncated, bad manifest, wrong ABI, ..."""


class ModelError(RuneError):
    """A model cannot be loaded or run: unknown format, bad model bytes, tensor mismatch."""
