"""docs/runtime.md stays true: its Python blocks run, in order, against the sine example."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "runtime.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_every_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    sine = ROOT / "examples" / "sine"
    subprocess.run(
        [sys.executable, "-m", "rune.tools.runec", str(sine / "Runefile.yml"), "-o",
         str(tmp_path / "sine.rune")],
        check=True, cwd=ROOT,
    )  # fmt: skip
    shutil.copy(sine / "input.bin", tmp_path / "input.bin")
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out == "[[0.9612382]]\n"  # what the first block says it prints
