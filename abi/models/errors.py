"""Errors shared by the model-format readers in :mod:`rune.abi.models`."""

from __future__ import annotations

from ..errors import ModelError


class ModelFormatError(ModelError, ValueError):
    """A model file is truncated, corrupted or otherwise not a valid model.

    Readers raise only this exception for bad input, so callers can reject a
    model with a single ``except ModelFormatError``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
