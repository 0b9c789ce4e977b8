"""Bad input never crashes a tool: one clear error, exit 1 (2 for usage), never a traceback.

Every command runs once, all in parallel, in the module fixture `ran`; each test then checks the
result of its own commands.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from e2e_harness import (
    EXAMPLES,
    Result,
    assert_clean_failure,
    diagnostics,
    run_many,
    run_outputs,
)

SINE = EXAMPLES / "sine" / "Runefile.yml"

YAML = {
    "mapping-value": ("version: 1\nimage: runicos/base: latest\npipeline: {}\n", 2, 20,
                      "invalid YAML: mapping values are not allowed here"),
    "tab": ("version: 1\nimage: runicos/base\npipeline:\n\tbad: tab\n", 4, 1,
            "invalid YAML: found character '\\t' that cannot start any token"),
    "not-a-map": ("- a\n- b\n", 1, 1, "expected a Runefile (a map)"),
}

PIPELINE = (
    '  rune.pipeline @{name} image "x" {{\n'
    '    %0 = rune.capability "c" kind "RAW" args {{}} : tensor<1xf32>\n'
    '    rune.output "o" kind "serial" args {{}}(%0) : (tensor<1xf32>)\n'
    "  }}\n"
)

INVALID_IR = {
    "garbage": ("garbage {\n", "Operation garbage is not registered"),
    "type-mismatch": (
        'builtin.module {\n  %0 = "arith.constant"() {value = 1 : i32} : () -> i64\n}\n',
        "expected from variable",
    ),
    "unknown-capability": (
        'builtin.module {\n  rune.pipeline @p image "x" {\n'
        '    %0 = rune.capability "c" kind "LASER" args {} : tensor<1xf32>\n  }\n}\n',
        "unknown capability 'LASER'",
    ),
    "dynamic-shape": (
        'builtin.module {\n  rune.pipeline @p image "x" {\n'
        '    %0 = rune.capability "c" kind "RAW" args {} : tensor<?xf32>\n  }\n}\n',
        "must have a static shape",
    ),
    "empty": ("", "invalid IR"),
    # integers in the rune dialect carry their signedness (si32/ui8); f16 is no rune type
    "signless-int": (
        'builtin.module {\n  rune.pipeline @p image "x" {\n'
        '    %0 = rune.capability "c" kind "RAW" args {} : tensor<4xi32>\n  }\n}\n',
        "i32",
    ),
    "f16": (
        'builtin.module {\n  rune.pipeline @p image "x" {\n'
        '    %0 = rune.capability "c" kind "RAW" args {} : tensor<4xf16>\n  }\n}\n',
        "f16",
    ),
}

NEEDS_ONE_PIPELINE = {
    "no-pipeline": "builtin.module {\n}\n",
    "two-pipelines": "builtin.module {\n" + PIPELINE.format(name="a")
    + PIPELINE.format(name="b") + "}\n",
}

RUNEC_USAGE = {
    "no-runefile": ((), "no Runefile given"),
    "bad-opt-level": (("-O7", "Runefile.yml"), "invalid choice: '7'"),
}

RUNE_USAGE = {
    "no-rune": ("run",),
    "bad-seed": ("run", "x.rune", "--seed", "many"),
}

WRONG_LENGTHS = (3, 17)


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad-input")


@pytest.fixture(scope="module")
def ran(tmp: Path, peer: Path, runes: dict[str, Path]) -> dict[str, Result]:
    """Make every bad input under `tmp`, run every command at once: id -> result."""
    sine_case = peer / "run-pass" / "sine"
    commands: dict[str, tuple] = {}

    # --- runec
    for name, (text, *_rest) in YAML.items():
        commands[f"yaml-{name}"] = ("runec", _write(tmp / f"yaml-{name}" / "Runefile.yml", text))
    commands["missing-runefile"] = ("runec", tmp / "nowhere" / "Runefile.yml")
    binary = bytes([0x80, 0xFF, 0xFE, 0x00]) + random.Random(1).randbytes(200)
    commands["binary-runefile"] = ("runec", _write(tmp / "binary" / "Runefile.yml", binary))
    commands["empty-runefile"] = ("runec", _write(tmp / "empty" / "Runefile.yml", ""))
    source = (sine_case / "Runefile.yml").read_text(encoding="utf-8")
    assert source.count('"./sinemodel.tflite"') == 1
    no_model = _write(tmp / "no-model" / "Runefile.yml",
                      source.replace("./sinemodel.tflite", "./nope.tflite"))
    commands["missing-model"] = ("runec", no_model, "-o", tmp / "no-model" / "x.rune")
    bad_model = tmp / "bad-model"
    shutil.copytree(sine_case, bad_model)
    (bad_model / "sinemodel.tflite").chmod(0o644)
    _write(bad_model / "sinemodel.tflite", random.Random(2).randbytes(2640))
    commands["bad-model"] = ("runec", bad_model / "Runefile.yml", "-o", bad_model / "x.rune")
    commands["unknown-pass"] = ("runec", SINE, "--passes=no-such-pass", "-o", tmp / "np.rune")
    commands["unwritable-output"] = ("runec", SINE, "-o", tmp / "no" / "such" / "x.rune")
    for name, (args, _) in RUNEC_USAGE.items():
        commands[f"runec-usage-{name}"] = ("runec", *args)

    # --- rune run / inspect
    not_wasm = _write(tmp / "random.rune", random.Random(3).randbytes(1000))
    data = runes["sine"].read_bytes()
    half = _write(tmp / "half.rune", data[: len(data) // 2])
    raw = sine_case / "input.bin"
    for command in ("run", "inspect"):
        commands[f"not-wasm-{command}"] = ("rune", command, not_wasm)
        extra = ("--raw", raw) if command == "run" else ()
        commands[f"truncated-{command}"] = ("rune", command, half, *extra)
    commands["empty-rune"] = ("rune", "inspect", _write(tmp / "empty.rune", b""))
    commands["missing-rune"] = ("rune", "run", tmp / "nothere.rune")
    commands["missing-raw"] = ("rune", "run", runes["sine"])
    commands["missing-raw-file"] = ("rune", "run", runes["noop"], "--raw", tmp / "x.bin")
    for size in WRONG_LENGTHS:
        commands[f"raw-{size}-bytes"] = ("rune", "run", runes["noop"], "--raw",
                                         _write(tmp / f"raw{size}.bin", bytes(size)))
    commands["raw-short-of-length"] = ("rune", "run", runes["sine"], "--raw",
                                       _write(tmp / "short.bin", b"\0\0\0"))
    commands["raw-longer-than-length"] = ("rune", "run", runes["sine"], "--raw",
                                          _write(tmp / "long.bin", bytes(4) + b"junk"))
    commands["raw-exactly-length"] = ("rune", "run", runes["sine"], "--raw",
                                      _write(tmp / "zero.bin", bytes(4)))
    commands["too-many-raw"] = ("rune", "run", runes["sine"], "--raw", raw, "--raw", raw)
    for name, args in RUNE_USAGE.items():
        commands[f"rune-usage-{name}"] = ("rune", *args)

    # --- rune-opt
    for name, (text, _) in INVALID_IR.items():
        commands[f"ir-{name}"] = ("rune-opt", _write(tmp / f"ir-{name}.mlir", text))
    commands["ir-missing-file"] = ("rune-opt", tmp / "nothere.mlir")
    for name, text in NEEDS_ONE_PIPELINE.items():
        commands[f"ir-lower-{name}"] = ("rune-opt", _write(tmp / f"lower-{name}.mlir", text),
                                        "--passes=lower-pipeline")
    modulo_by_zero = _write(
        tmp / "modulo-by-zero.mlir",
        'builtin.module {\n  rune.pipeline @p image "x" {\n'
        '    %0 = rune.capability "in" kind "RAW" args {} : tensor<4xf32>\n'
        '    %1 = rune.proc_block "m" kernel "modulo" args {modulus = 0.0 : f64}(%0)'
        " : (tensor<4xf32>) -> (tensor<4xf32>)\n  }\n}\n",
    )
    commands["ir-check-types"] = ("rune-opt", modulo_by_zero, "--passes=check-types")

    return dict(zip(commands, run_many(commands.values()), strict=True))


# ---------------------------------------------------------------------------------------------
# runec


@pytest.mark.parametrize("name", sorted(YAML))
def test_malformed_yaml(name: str, ran: dict[str, Result], tmp: Path) -> None:
    _, line, col, message = YAML[name]
    result = ran[f"yaml-{name}"]
    assert_clean_failure(result)
    (path, got_line, got_col, severity, got_message), *_ = diagnostics(result.stderr)
    runefile = tmp / f"yaml-{name}" / "Runefile.yml"
    assert (path, got_line, got_col, severity) == (str(runefile), line, col, "error")
    assert message in got_message
    assert [p.name for p in runefile.parent.iterdir()] == ["Runefile.yml"]


def test_runefile_that_does_not_exist(ran: dict[str, Result], tmp: Path) -> None:
    line = assert_clean_failure(ran["missing-runefile"])
    assert str(tmp / "nowhere" / "Runefile.yml") in line
    assert "No such file or directory" in line


def test_runefile_that_is_not_text(ran: dict[str, Result], tmp: Path) -> None:
    line = assert_clean_failure(ran["binary-runefile"])
    assert str(tmp / "binary" / "Runefile.yml") in line
    assert "utf-8" in line.lower()


def test_empty_runefile(ran: dict[str, Result], tmp: Path) -> None:
    """An empty file is a Runefile missing everything; the first complaint is the version."""
    result = ran["empty-runefile"]
    assert_clean_failure(result, errors=None)
    found = diagnostics(result.stderr)
    runefile = str(tmp / "empty" / "Runefile.yml")
    assert found[0] == (runefile, 1, 1, "error", "missing field `version`")
    assert {d[4] for d in found} <= {"missing field `version`", "missing field `image`",
                                     "missing field `pipeline`"}


def test_model_that_does_not_exist(ran: dict[str, Result], tmp: Path) -> None:
    result = ran["missing-model"]
    assert_clean_failure(result)
    (path, line, col, severity, message), *_ = diagnostics(result.stderr)
    assert (path, line, col, severity) == (str(tmp / "no-model" / "Runefile.yml"), 25, 12, "error")
    assert '"./nope.tflite"' in message and '"sine"' in message
    assert str(tmp / "no-model" / "nope.tflite") in result.stderr  # where it looked
    assert not (tmp / "no-model" / "x.rune").exists()


def test_model_that_is_not_a_model(ran: dict[str, Result], tmp: Path) -> None:
    result = ran["bad-model"]
    assert_clean_failure(result)
    (_, line, _, _, message), *_ = diagnostics(result.stderr)
    assert line == 24  # the `sine:` stage
    assert "sinemodel.tflite is not a valid TFLite model" in message
    assert not (tmp / "bad-model" / "x.rune").exists()


def test_unknown_pass(ran: dict[str, Result], tmp: Path) -> None:
    line = assert_clean_failure(ran["unknown-pass"])
    assert "invalid pass pipeline" in line and "no-such-pass" in line
    assert not (tmp / "np.rune").exists()


def test_unwritable_output(ran: dict[str, Result], tmp: Path) -> None:
    line = assert_clean_failure(ran["unwritable-output"])
    assert line.startswith("runec: error: cannot write ")
    assert str(tmp / "no" / "such" / "x.rune") in line


@pytest.mark.parametrize("name", sorted(RUNEC_USAGE))
def test_runec_usage_errors(name: str, ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran[f"runec-usage-{name}"], code=2)
    assert line.startswith("runec: error: ") and RUNEC_USAGE[name][1] in line


# ---------------------------------------------------------------------------------------------
# rune run / rune inspect


@pytest.mark.parametrize("command", ["run", "inspect"])
def test_rune_that_is_not_wasm(command: str, ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran[f"not-wasm-{command}"])
    assert line.startswith("rune: error: not a rune")


@pytest.mark.parametrize("command", ["run", "inspect"])
def test_truncated_rune(command: str, ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran[f"truncated-{command}"])
    assert line.startswith("rune: error: truncated file")


def test_empty_rune(ran: dict[str, Result]) -> None:
    assert assert_clean_failure(ran["empty-rune"]).startswith("rune: error: ")


def test_rune_that_does_not_exist(ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran["missing-rune"])
    assert "nothere.rune: No such file or directory" in line


def test_missing_raw_input(ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran["missing-raw"])
    assert 'Unable to load the "RAW" input' in line and '"rand"' in line


def test_raw_input_that_does_not_exist(ran: dict[str, Result]) -> None:
    assert "x.bin: No such file or directory" in assert_clean_failure(ran["missing-raw-file"])


@pytest.mark.parametrize("size", WRONG_LENGTHS)
def test_raw_input_of_the_wrong_length(size: int, ran: dict[str, Result]) -> None:
    """noop's RAW capability has no `length`: the file must be exactly its i32[4], 16 bytes."""
    result = ran[f"raw-{size}-bytes"]
    line = assert_clean_failure(result)
    assert f"the input is {size} bytes" in line and "needs exactly 16 bytes" in line
    assert result.stdout == ""


def test_raw_input_shorter_than_length_arg(ran: dict[str, Result]) -> None:
    """sine's RAW capability takes `length: 4` bytes; 3 are too few."""
    line = assert_clean_failure(ran["raw-short-of-length"])
    assert "needs exactly 4 bytes" in line and '"rand"' in line


def test_raw_input_longer_than_length_arg_is_cut(ran: dict[str, Result]) -> None:
    """...but a longer file is cut to `length` (the original's RAW semantics), not rejected."""
    assert run_outputs(ran["raw-longer-than-length"]) == run_outputs(ran["raw-exactly-length"])


def test_too_many_raw_inputs(ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran["too-many-raw"])
    assert "raw input 1" in line and "not read by any RAW capability" in line


@pytest.mark.parametrize("name", sorted(RUNE_USAGE))
def test_rune_usage_errors(name: str, ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran[f"rune-usage-{name}"], code=2)
    assert line.startswith("rune: error: ")


# ---------------------------------------------------------------------------------------------
# rune-opt


@pytest.mark.parametrize("name", sorted(INVALID_IR))
def test_rune_opt_invalid_ir(name: str, ran: dict[str, Result], tmp: Path) -> None:
    result = ran[f"ir-{name}"]
    line = assert_clean_failure(result, errors=None)
    assert line.startswith(f"error: invalid IR in {tmp / f'ir-{name}.mlir'}")
    assert INVALID_IR[name][1] in result.stderr
    assert result.stdout == ""


def test_rune_opt_missing_file(ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran["ir-missing-file"])
    assert line.startswith("rune-opt: error: cannot read ") and "No such file" in line


@pytest.mark.parametrize("name", sorted(NEEDS_ONE_PIPELINE))
def test_rune_opt_lower_pipeline_needs_one_pipeline(name: str, ran: dict[str, Result]) -> None:
    """lower-pipeline on a module without exactly one rune.pipeline (e.g. IR that was already
    lowered) must be a diagnostic, not a Python traceback."""
    line = assert_clean_failure(ran[f"ir-lower-{name}"])
    assert "rune.pipeline" in line


def test_rune_opt_check_types_error_names_the_problem(ran: dict[str, Result]) -> None:
    line = assert_clean_failure(ran["ir-check-types"])
    assert "modulo by 0 is undefined" in line
