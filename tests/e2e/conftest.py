"""Fixtures for the end-to-end tests: the peer suite and runes compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_harness import INTEGRATION

from tests.peer.harness import Toolbox

# Every rune that more than one test runs: name -> its Runefile.
SHARED_RUNES = {
    "sine": INTEGRATION / "run-pass" / "sine" / "Runefile.yml",
    "noop": INTEGRATION / "run-pass" / "noop" / "Runefile.yml",
    "multiple-outputs": INTEGRATION / "run-pass" / "multiple-outputs" / "Runefile.yml",
    "model-from-resource": INTEGRATION / "run-pass" / "model-from-resource" / "Runefile.yml",
    "missing-raw-capability": INTEGRATION / "run-fail" / "missing-raw-capability" / "Runefile.yml",
    "compile-pass-noop": INTEGRATION / "compile-pass" / "noop" / "Runefile.yml",
}


@pytest.fixture(scope="session")
def peer() -> Path:
    """The peer suite's integration tests (../shared/peer-suite beside the checkout, as in CI)."""
    assert INTEGRATION.is_dir(), f"the peer suite is missing: {INTEGRATION}"
    return INTEGRATION


@pytest.fixture(scope="session")
def runes(peer: Path, tools: Toolbox) -> dict[str, Path]:
    """The peer cases every module needs, compiled once with default options by the session's
    toolbox (tests/conftest.py), which tests/peer compiles the same Runefiles with."""
    return {name: tools.compile(runefile).ok() for name, runefile in SHARED_RUNES.items()}
