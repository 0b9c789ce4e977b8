"""Build a pipeline from an empty canvas in a real browser, export its Runefile, and compile
that file with `runec` outside the studio: the same rune, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, StudioServer
from studiokit import run_browser_script

RUNEC = [sys.executable, "-m", "rune.tools.runec"]


def test_canvas_pipeline_compiles_to_the_same_rune(studio_server: StudioServer,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run_browser_script("empty_canvas.mjs", studio_server, out)

    exported = (out / "Runefile.yml").read_text()
    assert "capability: RAW" in exported and "#affine" in exported and "out: serial" in exported
    assert "# built in the studio" in exported and "scale: 3" in exported
    # runec names a rune after its folder; the studio compiles in a folder named as the project.
    folder = tmp_path / studio_server.project
    folder.mkdir()
    (folder / "Runefile.yml").write_text(exported)
    env = {**os.environ}
    env.pop("RUNE_OPT_LEVEL", None)
    done = subprocess.run([*RUNEC, "Runefile.yml", "-O", "2", "-o", str(tmp_path / "runec.rune")],
                          cwd=folder, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    studio = (out / "studio.rune").read_bytes()
    assert len(studio) > 1000
    assert studio == (tmp_path / "runec.rune").read_bytes()
    assert (REPO / "studio" / "screenshots" / "fusion-on-canvas.png").stat().st_size > 10_000
