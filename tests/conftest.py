"""Every suite: `runec` processes the tests start compile for real, never from the user's
compile cache (tests/compile_cache gives the cache a directory of its own)."""

from __future__ import annotations

import os

os.environ["RUNE_COMPILE_CACHE"] = "off"
