"""Helpers the `rune eval` tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "peer-suite" / "hotg-rune"
BIN = Path(sys.executable).parent
#: Clips per label: 5 labels make the 400-clip set the issue asks for.
PER_LABEL = 80


def runec(runefile: Path, out: Path) -> Path:
    done = subprocess.run([BIN / "runec", runefile, "-o", out], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out
