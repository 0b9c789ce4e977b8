"""The original Rune's own test suite and examples, through our `runec` and `rune run`.

One test per integration case (compile-pass, compile-fail, run-pass, run-fail; `_` cases too),
one per example Runefile (it compiles) and one per example input (it runs and says the right
thing). Cases listed in divergences.toml are checked to fail exactly as listed there; cases whose
expectation in the suite is a placeholder are checked against what divergences.toml records.
See harness.py for how the original's runner worked and what is mirrored.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import DIVERGENCE_MARK
from .harness import (
    EXAMPLES,
    FIXTURE_EXTENSIONS,
    HOTG,
    INTEGRATION,
    KINDS,
    Case,
    Toolbox,
    assert_clean_failure,
    assert_facts,
    assert_outputs_match,
    discover,
    example_runefiles,
    load_divergences,
    original_outputs,
    outputs_of,
    single_tensor,
)

CASES = discover()
LISTED = load_divergences()
DIVERGENT: dict[str, dict[str, Any]] = LISTED["divergence"]
PLACEHOLDERS: dict[str, dict[str, Any]] = LISTED["placeholder"]


def _params(ids_and_values: list[tuple[str, Any]]) -> list[Any]:
    mark = getattr(pytest.mark, DIVERGENCE_MARK)
    return [pytest.param(value, id=case_id, marks=[mark] if case_id in DIVERGENT else [])
            for case_id, value in ids_and_values]  # fmt: skip


def _cases(kind: str) -> list[Any]:
    return _params([(c.id, c) for c in CASES if c.kind == kind])


# -- divergences ----------------------------------------------------------------------------


def _assert_errors(result, expected: list[str], label: str) -> None:
    """Failed cleanly, with exactly these errors (each text a piece of one error line, in order)."""
    assert_clean_failure(result)
    lines = result.error_lines()
    assert len(lines) == len(expected), (
        f"{label}: expected {len(expected)} error(s) {expected}\n{result.explain()}"
    )
    for text, line in zip(expected, lines, strict=True):
        assert text in line, f"{label}: {text!r} not in {line!r}\n{result.explain()}"


def _check_divergence(case_id: str, folder: Path, tools: Toolbox, tmp_path: Path) -> None:
    """The case still fails the way divergences.toml says we intend it to."""
    spec = DIVERGENT[case_id]
    assert spec.get("reason", "").strip(), f"{case_id}: the divergence needs a reason"
    runefile = folder / "Runefile.yml"
    if spec["stage"] == "compile":
        compiled = tools.compile(runefile)
        _assert_errors(compiled.result, spec["errors"], case_id)
        assert not compiled.rune.exists(), "a failed compile must not write a rune"
    else:
        assert spec["stage"] == "run", spec
        rune = tools.compile(runefile).ok()
        files = sorted(p for p in folder.iterdir() if p.suffix[1:] in FIXTURE_EXTENSIONS)
        _assert_errors(tools.run(rune, files), spec["errors"], case_id)
    crate = spec.get("with_crate")
    if crate:
        # The same Runefile beside a Rust crate at the path it names (the crate is not in the
        # suite): the compiler must say it does not compile Rust. Built in a scratch copy of the
        # suite's layout, never in the repository.
        root = tmp_path / "suite"
        copy = root / folder.relative_to(HOTG)
        copy.mkdir(parents=True)
        for item in folder.iterdir():
            if item.is_file():
                shutil.copy(item, copy / item.name)
        target = (folder / crate["path"]).resolve().relative_to(HOTG)
        (root / target / "src").mkdir(parents=True)
        (root / target / "Cargo.toml").write_text(
            '[package]\nname = "identity"\nversion = "0.1.0"\nedition = "2018"\n'
        )
        (root / target / "src" / "lib.rs").write_text("// the original's identity proc block\n")
        result = tools.compile(copy / "Runefile.yml").result
        _assert_errors(result, crate["errors"], f"{case_id} (with a Rust crate)")


# -- integration cases ----------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("compile-pass"))
def test_compile_pass(case: Case, tools: Toolbox, tmp_path: Path) -> None:
    if case.id in DIVERGENT:
        _check_divergence(case.id, case.folder, tools, tmp_path)
        return
    compiled = tools.compile(case.runefile)
    compiled.ok()
    assert not compiled.result.error_lines(), compiled.result.explain()
    assert_facts(case.expected("stderr"), compiled.result)  # e.g. the unused-arguments warning
    for name, text in case.expected("stdout"):
        assert text in compiled.result.stdout, f"{name}\n{compiled.result.explain()}"


@pytest.mark.parametrize("case", _cases("compile-fail"))
def test_compile_fail(case: Case, tools: Toolbox, tmp_path: Path) -> None:
    if case.id in DIVERGENT:
        _check_divergence(case.id, case.folder, tools, tmp_path)
        return
    compiled = tools.compile(case.runefile)
    result = compiled.result
    assert_clean_failure(result)
    assert result.stdout == "", result.explain()
    assert not compiled.rune.exists(), "a failed compile must not write a rune"
    # a located diagnostic, clang style, in the Runefile
    assert result.stderr.startswith(f"{case.runefile}:"), result.explain()
    expected = case.expected("stderr")
    assert expected, f"{case.id} has no *.stderr file"
    assert_facts(expected, result)


@pytest.mark.parametrize("case", _cases("run-pass"))
def test_run_pass(case: Case, tools: Toolbox, tmp_path: Path) -> None:
    if case.id in DIVERGENT:
        _check_divergence(case.id, case.folder, tools, tmp_path)
        return
    rune = tools.compile(case.runefile).ok()
    result = tools.run(rune, case.fixtures())
    outputs = outputs_of(result)
    for name in sorted(p.name for p in case.folder.glob("*.stdout")):
        assert_outputs_match(outputs, original_outputs(case.folder / name), f"{case.id}/{name}")
    if case.id in PLACEHOLDERS:
        _check_placeholder(case, outputs)
    else:
        assert_facts(case.expected("stderr"), result)


# Float models compiled into the rune agree with LiteRT to this bound, relative to the largest
# magnitude of each output tensor (tests/models_compiled measures it operator by operator).
COMPILED_FLOAT_BOUND = 1e-4


@pytest.mark.parametrize("case", _cases("run-pass"))
def test_run_pass_compiled(case: Case, tools: Toolbox, tmp_path: Path) -> None:
    """The run-pass suite again with every model compiled into the rune: the same outputs as
    the handler rune on LiteRT's reference kernels (integers and strings exactly, floats within
    COMPILED_FLOAT_BOUND). LiteRT's default kernels round int8 differently in places (style
    transfer's 40 int8 layers drift by up to 0.4), so the reference is the ground truth."""
    if case.id in DIVERGENT:
        _check_divergence(case.id, case.folder, tools, tmp_path)
        return
    handler = outputs_of(tools.run(tools.compile(case.runefile).ok(), case.fixtures(),
                                   "--tflite-kernels=reference"))
    rune = tools.compile(case.runefile, "--models=compiled").ok()
    compiled = outputs_of(tools.run(rune, case.fixtures()))
    assert len(compiled) == len(handler)
    for mine, theirs in zip(compiled, handler, strict=True):
        for got, want in zip(mine["tensors"], theirs["tensors"], strict=True):
            assert got["element_type"] == want["element_type"]
            assert got["dimensions"] == want["dimensions"]
            if want["element_type"] in ("f32", "f64"):
                expected = np.asarray(want["elements"], dtype=np.float64)
                bound = COMPILED_FLOAT_BOUND * max(1.0, float(np.abs(expected).max()))
                np.testing.assert_allclose(got["elements"], expected, rtol=0, atol=bound)
            else:
                assert got["elements"] == want["elements"], case.id


@pytest.mark.parametrize("case", _cases("run-fail"))
def test_run_fail(case: Case, tools: Toolbox, tmp_path: Path) -> None:
    if case.id in DIVERGENT:
        _check_divergence(case.id, case.folder, tools, tmp_path)
        return
    rune = tools.compile(case.runefile).ok()
    result = tools.run(rune, case.fixtures())
    assert_clean_failure(result)
    assert result.stdout == "", result.explain()
    expected = case.expected("stderr")
    assert expected, f"{case.id} has no *.stderr file"
    assert_facts(expected, result)


def _check_placeholder(case: Case, outputs: list[dict]) -> None:
    """The suite's expectation is a placeholder: check what divergences.toml records we output."""
    spec = PLACEHOLDERS[case.id]
    texts = [text for _, text in case.expected("stderr") + case.expected("stdout")]
    assert spec["original"] in texts, f"{case.id}: the suite's expectation changed: {texts}"
    t = single_tensor(outputs)
    assert t["element_type"] == spec["element_type"], t["element_type"]
    assert t["dimensions"] == spec["dimensions"], t["dimensions"]
    if "elements" in spec:
        assert t["elements"] == spec["elements"]
    if "range" in spec:
        values = _plausible_image(t, spec["dimensions"])
        low, high = spec["range"]
        assert low <= values.min() and values.max() <= high, (values.min(), values.max())
        tolerance = spec["tolerance"]
        assert abs(float(values.mean()) - spec["mean"]) <= tolerance, values.mean()
        assert abs(float(values.std()) - spec["std"]) <= tolerance, values.std()


def _plausible_image(t: dict, dimensions: list[int]) -> np.ndarray:
    """A style-transfer result: the declared shape, finite values in [0, 1], not flat."""
    assert t["element_type"] == "f32"
    assert t["dimensions"] == dimensions
    values = np.asarray(t["elements"], dtype=np.float32)
    assert values.size == int(np.prod(dimensions))
    assert np.isfinite(values).all()
    assert values.min() >= 0.0 and values.max() <= 1.0, (values.min(), values.max())
    assert values.std() > 0.05, "a flat image"
    return values


# -- examples -------------------------------------------------------------------------------

STYLE_PAIRS = [("content.jpg", "style.jpg"), ("flower.jpg", "starry-night.jpg")]
# the one wav of examples/microspeech/data that is not under a folder named by its word: the
# speech-commands background noise, which the model's "silence" class is trained on
BACKGROUND_NOISE = {"exercise_bike.wav": "silence"}
GENERATED = "(generated input)"


def _example_inputs(name: str, folder: Path) -> list[str]:
    """Each run of an example: its own fixture files (or a generated input where it has none)."""
    if name == "microspeech":
        return [str(p.relative_to(folder)) for p in sorted((folder / "data").rglob("*.wav"))]
    if name == "gesture":
        return [p.name for p in sorted(folder.glob("*.csv"))]
    if name == "person_detection":
        return [p.name for p in sorted(folder.glob("*.png"))]
    if name == "style_transfer":
        runs = ["+".join(pair) for pair in STYLE_PAIRS]
        paired = {f for pair in STYLE_PAIRS for f in pair}
        unused = sorted({p.name for p in folder.glob("*.jpg")} - paired)
        return runs + [f"(no run uses {f})" for f in unused]
    if name in ("sine", "noop"):
        return [GENERATED]  # the example folder holds no input file
    if f"examples/{name}" in DIVERGENT:
        return []
    return ["(no run planned)"]


EXAMPLE_NAMES = [p.parent.name for p in example_runefiles()]
EXAMPLE_RUNS = [(f"examples/{name}:{item}", (name, item))
                for name in EXAMPLE_NAMES for item in _example_inputs(name, EXAMPLES / name)]


@pytest.mark.parametrize("name", _params([(f"examples/{n}", n) for n in EXAMPLE_NAMES]))
def test_example_compiles(name: str, tools: Toolbox, tmp_path: Path) -> None:
    if f"examples/{name}" in DIVERGENT:
        _check_divergence(f"examples/{name}", EXAMPLES / name, tools, tmp_path)
        return
    compiled = tools.compile(EXAMPLES / name / "Runefile.yml")
    compiled.ok()
    assert not compiled.result.error_lines(), compiled.result.explain()


@pytest.mark.parametrize("run", _params(EXAMPLE_RUNS))
def test_example_runs(run: tuple[str, str], tools: Toolbox, tmp_path: Path) -> None:
    name, item = run
    folder = EXAMPLES / name
    assert not item.startswith("(no "), f"examples/{name}: {item}"
    rune = tools.compile(folder / "Runefile.yml").ok()
    if name == "microspeech":
        wav = folder / item
        word = wav.parent.name if wav.parent != folder / "data" else BACKGROUND_NOISE[wav.name]
        _assert_label(tools.run(rune, [wav]), word)
    elif name == "gesture":
        csv = folder / item
        rows = len([line for line in csv.read_text().splitlines() if line.strip()])
        result = tools.run(rune, [csv])
        if rows != 128:
            # example_data.csv has 256 rows: the original rejected it too (its ACCEL input must
            # fill the f32[1,128,3,1] tensor exactly)
            assert_clean_failure(result)
            (line,) = result.error_lines()
            assert f"{rows * 3 * 4} bytes" in line and "1536 bytes" in line, line
            assert 'stage "accelerometer"' in line, line
        else:
            # SEMANTICS.md: the gesture model says "Ring" (~0.93) for the ring, slope and wing
            # CSVs alike (in the suite, example_slope.csv and example_wing.csv are one file)
            _assert_label(result, "Ring")
    elif name == "person_detection":
        _assert_label(tools.run(rune, [folder / item]), "person_prob")  # both show a person
    elif name == "style_transfer":
        images = [folder / f for f in item.split("+")]
        t = single_tensor(outputs_of(tools.run(rune, images)))
        _plausible_image(t, [1, 384, 384, 3])
        if item == "content.jpg+style.jpg":
            # the same images, models and Runefile as run-pass/_style-transfer: the same output
            case = INTEGRATION / "run-pass" / "_style-transfer"
            other = tools.compile(case / "Runefile.yml").ok()
            fixtures = [case / "0_content.jpg", case / "1_style.jpg"]
            assert single_tensor(outputs_of(tools.run(other, fixtures))) == t
    elif name == "sine":
        # run-pass/sine is this Runefile with the same model; its input is f32 0.8
        angle = tmp_path / "angle.bin"
        angle.write_bytes(struct.pack("<f", 0.8))
        expected = INTEGRATION / "run-pass" / "sine" / "expected.stdout"
        assert_outputs_match(outputs_of(tools.run(rune, [angle])), original_outputs(expected),
                             f"examples/sine with {expected}")  # fmt: skip
    elif name == "noop":
        values = [7, -1, 2**31 - 1, -(2**31)]
        raw = tmp_path / "input.bin"
        raw.write_bytes(struct.pack("<4i", *values))
        t = single_tensor(outputs_of(tools.run(rune, [raw])))
        assert t == {"element_type": "i32", "dimensions": [4], "elements": values}
    else:
        pytest.fail(f"examples/{name}: no run planned")


def _assert_label(result, label: str) -> None:
    t = single_tensor(outputs_of(result))
    assert t == {"element_type": "utf8", "dimensions": [1], "elements": [label]}, t


# -- the harness itself (failures count in the summary; passes do not) ------------------------


def test_harness_the_peer_suite_is_there() -> None:
    assert INTEGRATION.is_dir(), f"the peer suite is missing: {INTEGRATION}"
    assert {c.kind for c in CASES} == set(KINDS), [c.id for c in CASES]
    assert EXAMPLE_NAMES, f"no examples in {EXAMPLES}"


def test_harness_divergences_name_real_cases() -> None:
    known = {c.id for c in CASES} | {f"examples/{n}" for n in EXAMPLE_NAMES}
    for case_id, spec in DIVERGENT.items():
        assert case_id in known, f"divergences.toml lists {case_id}, which is not in the suite"
        assert spec.get("reason", "").strip(), f"{case_id}: no reason"
        assert spec.get("stage") in ("compile", "run") and spec.get("errors"), case_id
    for case_id, spec in PLACEHOLDERS.items():
        assert case_id in known and case_id.split("/")[-1].startswith("_"), case_id
        assert spec.get("note", "").strip(), f"{case_id}: no note"
