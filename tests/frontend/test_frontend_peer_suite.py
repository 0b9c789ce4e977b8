"""The original compiler's own Runefile test cases, run through this frontend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from frontend_harness import PEER_SUITE, Outcome
from rune.frontend import Severity

COMPILE_FAIL = PEER_SUITE / "integration-tests" / "compile-fail"

# Where the first error must point, per compile-fail case (checked against the file by hand).
FIRST_ERROR_LINE = {
    "image-is-required": 1,
    "missing-input": 7,
    "no-such-resource": 10,
    "pipeline-is-required": 1,
    "self-loop": 4,
    "simple-loop": 9,
    "str-is-not-a-type": 7,
    "there-is-no-version-2": 2,
    "unknown-model-format": 8,
    "version-is-required": 1,
}


def _cases(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/Runefile.yml")) if folder.is_dir() else []


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


PASSING = [
    path
    for folder in ("integration-tests/compile-pass", "integration-tests/run-pass", "examples")
    for path in _cases(PEER_SUITE / folder)
]


@pytest.mark.parametrize("runefile", _cases(COMPILE_FAIL), ids=_id)
def test_compile_fail_case_reports_expected_text(
    runefile: Path, compile_path: Callable[[Path], Outcome]
) -> None:
    outcome = compile_path(runefile)

    assert outcome.failure is not None
    for expected in sorted(runefile.parent.glob("*.stderr")):
        assert expected.read_text().strip() in outcome.rendered, expected.name
    first = outcome.failure.diagnostics[0]
    assert first.severity is Severity.ERROR
    assert first.span is not None
    assert first.span.file == str(runefile)
    assert first.span.line == FIRST_ERROR_LINE[runefile.parent.name]


def test_compile_fail_cases_were_found(peer_suite: Path) -> None:
    assert {p.parent.name for p in _cases(COMPILE_FAIL)} == set(FIRST_ERROR_LINE)


@pytest.mark.parametrize("runefile", PASSING, ids=_id)
def test_passing_case_checks_cleanly(
    runefile: Path, compile_path: Callable[[Path], Outcome]
) -> None:
    outcome = compile_path(runefile)

    assert outcome.failure is None, outcome.rendered
    assert outcome.runefile is not None
    assert list(outcome.runefile.stages)
    if runefile.parent.name != "model-arguments-should-be-used":
        assert outcome.engine.diagnostics == []


def test_unused_model_arguments_warn(
    peer_suite: Path, compile_path: Callable[[Path], Outcome]
) -> None:
    case = peer_suite / "integration-tests/compile-pass/model-arguments-should-be-used"
    outcome = compile_path(case / "Runefile.yml")

    assert outcome.failure is None
    assert [d.severity for d in outcome.engine.diagnostics] == [Severity.WARNING]
    assert (case / "warning.stderr").read_text().strip() in outcome.rendered
    assert outcome.engine.diagnostics[0].span.line == 19


def test_proc_block_paths_are_kept_as_written(
    peer_suite: Path, compile_path: Callable[[Path], Outcome]
) -> None:
    case = peer_suite / "integration-tests/run-pass/proc-block-path-dependencies/Runefile.yml"
    outcome = compile_path(case)

    assert outcome.runefile is not None
    identity = outcome.runefile.stages["identity"]
    assert identity.target == "../../../examples/debugging/identity"
    assert [(i.stage, i.index) for i in outcome.runefile.stages["debug_output"].inputs] == [
        ("rand", 0),
        ("identity", 0),
        ("identity", 1),
    ]
