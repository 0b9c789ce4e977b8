"""The ten peer compile-fail cases through `runec`: exit 1, the original message, the right line."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_harness import INTEGRATION, Result, assert_clean_failure, diagnostics, run_many

# case -> the located diagnostics that must appear, in this order, the first one first of all:
# (line, column, severity, a piece of the message)
EXPECTED: dict[str, list[tuple[int, int, str, str]]] = {
    "image-is-required": [(1, 1, "error", "missing field `image`")],
    "missing-input": [(7, 9, "error", 'Unable to find "asdf"')],
    "no-such-resource": [(10, 12, "error", 'No definition for "$MISSING_RESOURCE"')],
    "pipeline-is-required": [(1, 1, "error", "missing field `pipeline`")],
    "self-loop": [
        (4, 3, "error", 'Cycle detected when checking "some_model"'),
        (7, 9, "note", '... which passes data to "some_model", completing the cycle.'),
    ],
    "simple-loop": [
        (9, 3, "error", 'Cycle detected when checking "some_model"'),
        (19, 9, "note", '... which passes data to "another_model"'),
        (12, 9, "note", '... which passes data to "some_model", completing the cycle.'),
    ],
    "str-is-not-a-type": [
        (7, 15, "error", 'Unknown element type, "str"'),
        (12, 15, "error", 'Unknown element type, "string"'),
    ],
    "there-is-no-version-2": [(2, 10, "error", "expected version to be 1")],
    "unknown-model-format": [(8, 7, "error", 'but found "unknown-format"')],
    "version-is-required": [(1, 1, "error", "missing field `version`")],
}


def test_every_compile_fail_case_is_covered(peer: Path) -> None:
    assert sorted(p.name for p in (peer / "compile-fail").iterdir()) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def compile_fail_results(peer: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """runec on every case at once; a stray output file would land in the scratch cwd."""
    cwd = tmp_path_factory.mktemp("compile-fail")
    cases = sorted(EXPECTED)
    results = run_many(
        ("runec", peer / "compile-fail" / case / "Runefile.yml", "-o", cwd / f"{case}.rune")
        for case in cases
    )
    assert not list(cwd.iterdir()), "a failed compile must not write a rune"
    return dict(zip(cases, results, strict=True))


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_compile_fail(case: str, compile_fail_results: dict[str, Result]) -> None:
    result = compile_fail_results[case]
    folder = INTEGRATION / "compile-fail" / case
    runefile = str(folder / "Runefile.yml")
    assert_clean_failure(result, errors=None)
    assert result.stdout_bytes == b""

    # every text the original printed
    for expected in sorted(folder.glob("*.stderr")):
        text = expected.read_text(encoding="utf-8").strip()
        assert text, expected
        assert text in result.stderr, f"{expected.name}: {text!r}\n{result.explain()}"

    # clang-style first line, at the right place
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{runefile}:"), first
    found = diagnostics(result.stderr)
    assert found, result.explain()
    line, col, severity, text = EXPECTED[case][0]
    assert found[0][:4] == (runefile, line, col, "error"), result.explain()
    assert text in found[0][4]

    # the rest, in order
    located = [(ln, c, sev) for _, ln, c, sev, _ in found]
    position = 0
    for line, col, severity, text in EXPECTED[case]:
        index = located.index((line, col, severity), position)
        assert text in found[index][4], (found[index], text)
        position = index + 1

    # the source line under the first diagnostic is quoted, with a caret
    source_line = Path(runefile).read_text(encoding="utf-8").splitlines()[found[0][1] - 1]
    assert f"{found[0][1]:>4} | {source_line}" in result.stderr
    assert "^" in result.stderr
