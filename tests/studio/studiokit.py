"""Runs one of the studio's browser scripts (Node + playwright-core + Debian's Chromium)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import REPO, StudioServer

HERE = Path(__file__).parent
SCREENSHOTS = REPO / "studio" / "screenshots"


def run_browser_script(name: str, server: StudioServer, out: Path, timeout: float = 600,
                       **extra: str) -> str:
    node = shutil.which("node")
    assert node is not None, "node is not installed: run `make studio-deps`"
    env = {**os.environ, "STUDIO_URL": server.server.url, "STUDIO_PROJECT": server.project,
           "STUDIO_KEY": server.admin_key, "STUDIO_OUT": str(out),
           "STUDIO_SCREENSHOTS": str(SCREENSHOTS), **extra}
    done = subprocess.run([node, str(HERE / name)], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
