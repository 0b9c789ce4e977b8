"""Keeping native libraries' chatter off a command line's stderr."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Hide file descriptor 2 while models load.

    LiteRT's C++ prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on fd 2 when
    an interpreter is built, and no setting turns it off; the CLI promises clean stderr. Python
    errors are unaffected: they are raised, and printed after fd 2 is restored.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to hide
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
