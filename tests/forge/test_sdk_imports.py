"""The SDK ships with the runtime: importing and using it loads neither the server nor the
compiler (nor their dependencies)."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("rune.forge.server", "rune.forge.cli", "rune.tools", "rune.frontend",
             "rune.passes", "rune.backend_wasm", "xdsl", "llvmlite", "fastapi", "sqlalchemy",
             "alembic", "uvicorn", "httpx", "pydantic")


def test_the_sdk_needs_only_the_runtime() -> None:
    code = ("import sys; from rune.forge.sdk import Forge, Telemetry; import rune.runtime.host; "
            f"bad = sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})); print(bad)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
