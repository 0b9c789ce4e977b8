"""The studio by keyboard alone at 1280x800 (keyboard.mjs): a pipeline added and wired without
a mouse, and every control of every view labelled."""

from __future__ import annotations

from pathlib import Path

from conftest import StudioServer
from studiokit import run_browser_script


def test_keyboard_and_labels(studio_server: StudioServer, tmp_path: Path) -> None:
    run_browser_script("keyboard.mjs", studio_server, tmp_path)
