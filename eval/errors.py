"""The one error type of `rune eval`: a RuneError, so the CLI prints it as one line."""

from __future__ import annotations

from rune.runtime.errors import RuneError


class EvalError(RuneError):
    """The dataset, the labels or the rune cannot be evaluated (bad file, bad row, no label
    output), or an example failed to run."""
