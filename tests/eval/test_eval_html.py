"""The HTML report: self-contained (plots inlined as base64 PNGs, nothing fetched), escapes what
the dataset names, and opens in headless Chromium, whose screenshot is a real, non-blank page."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from evalkit import ROOT
from PIL import Image
from rune.eval import evaluate

CHROMIUM = "/usr/bin/chromium"
#: Git-ignored (build/), kept after the test for a person to look at.
SCREENSHOT = ROOT / "build" / "eval" / "report.png"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def page(microspeech: Path, clips: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a dataset with a label that is HTML markup, as an .html file."""
    root = tmp_path_factory.mktemp("hostile")
    for label in ("up", "down", "left", HOSTILE):
        (root / label).mkdir()
        source = "right" if label.startswith("<") else label
        for n in range(5):
            shutil.copy(clips / source / f"{source}_{n:04d}.wav", root / label / f"{n}.wav")
    report = evaluate(microspeech, root, workers=0, progress=False)
    path = root.parent / "report.html"
    path.write_text(report.to_html(), encoding="utf-8")
    return path


def test_self_contained_and_escaped(page: Path) -> None:
    html = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
    assert "<script" not in html and "<link" not in html
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 2
    for data in images:
        picture = Image.open(io.BytesIO(base64.b64decode(data)))
        assert picture.format == "PNG" and picture.width > 200 and picture.height > 200
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_opens_in_headless_chromium(page: Path, tmp_path: Path) -> None:
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1400",
         f"--screenshot={SCREENSHOT}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shot = np.asarray(Image.open(SCREENSHOT).convert("RGB"))
    assert shot.shape == (1400, 1200, 3)
    # A rendered report, not a blank or error page: dark text on white, and the heat map's blues.
    assert (shot.min(axis=2) > 240).mean() > 0.4  # mostly background
    assert (shot.max(axis=2) < 80).mean() > 0.005  # text and lines
    blue = (shot[..., 2].astype(int) - shot[..., 0]) > 60
    assert blue.sum() > 5000
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 100
