"""Fixtures for the MCU tests: every case compiled once per session, and a coverage summary.

The summary at the end of the pytest output names the runes each proof covered, so a run says
plainly what it proved (e.g. whether the microspeech runes were among them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .mcu_support import COVERED, REPO, RUN_PASS, Case, runec_many, wasm_cases

sys.path.insert(0, str(REPO / "mcu"))  # the firmware driver lives beside the C harness


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not COVERED:
        return
    terminalreporter.section("MCU proofs: runes covered")
    for proof, runes in COVERED.items():
        terminalreporter.write_line(f"{proof}: {', '.join(runes)}")


@pytest.fixture(scope="session")
def peer() -> Path:
    assert RUN_PASS.is_dir(), f"the peer suite is missing: {RUN_PASS}"
    return RUN_PASS


@pytest.fixture(scope="session")
def wasm_builds(peer: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """case name -> {"case", "mcu" (.rune), "obj" (wasm32-mcu object), "simd" (.rune)},
    compiled with the real runec, two at a time."""
    out = tmp_path_factory.mktemp("mcu-wasm")
    cases = wasm_cases()
    jobs = []
    for case in cases:
        jobs += [(case.runefile, out / f"{case.name}.mcu.rune", "wasm32-mcu", "rune"),
                 (case.runefile, out / f"{case.name}.mcu.o", "wasm32-mcu", "obj"),
                 (case.runefile, out / f"{case.name}.simd.rune", "wasm32", "rune")]
    results = runec_many(jobs)
    builds: dict[str, dict] = {}
    for i, case in enumerate(cases):
        mcu, obj, simd = results[3 * i: 3 * i + 3]
        builds[case.name] = {"case": case, "mcu": mcu, "obj": obj, "simd": simd}
    return builds


def case_names() -> list[str]:
    return [case.name for case in wasm_cases()]


def case_of(builds: dict[str, dict], name: str) -> tuple[Case, Path, Path, Path]:
    """The case and its three builds; a required case that does not compile fails here."""
    build = builds[name]
    return build["case"], build["mcu"].check(), build["obj"].check(), build["simd"].check()
