"""What the SDK raises."""

from __future__ import annotations


class ForgeError(Exception):
    """Base class of every SDK error."""


class ForgeHTTPError(ForgeError):
    """The server answered with an error (its problem-details `detail` is the message)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail = status, detail


class ForgeUnavailable(ForgeError):
    """The server could not be reached (or failed), and nothing usable is cached."""


class VerificationError(ForgeError):
    """A rune's hash or signature does not match: it is never loaded."""
