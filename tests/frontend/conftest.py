"""Fixtures that compile Runefiles from text or from the peer suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from frontend_harness import PEER_SUITE, Outcome, compile_file


@pytest.fixture
def compile_text(tmp_path: Path) -> Callable[[str], Outcome]:
    """Compile Runefile text saved as tmp_path/Runefile.yml (next to any files a test adds)."""

    def run(text: str) -> Outcome:
        path = tmp_path / "Runefile.yml"
        path.write_text(text, encoding="utf-8")
        return compile_file(path)

    return run


@pytest.fixture
def compile_path() -> Callable[[Path], Outcome]:
    """Compile a Runefile that already exists on disk."""
    return compile_file


@pytest.fixture
def peer_suite() -> Path:
    if not PEER_SUITE.is_dir():
        pytest.skip(f"peer suite not found at {PEER_SUITE}")
    return PEER_SUITE
