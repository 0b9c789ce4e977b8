"""Peer run-pass / run-fail / compile-pass cases through `runec` and `rune run` / `rune inspect`."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest
from e2e_harness import (
    EXAMPLES,
    assert_clean_failure,
    assert_outputs_match,
    peer_expected,
    run_outputs,
    run_tool,
    runec_ok,
    truncate5,
)

# case -> the file holding what the original printed
EXPECTED = {
    "sine": "expected.stdout",
    "noop": "expected.stdout",
    "multiple-outputs": "expected.stdout",
    "model-from-resource": "output.stdout",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_run_pass_matches_the_original(case: str, peer: Path, runes: dict[str, Path]) -> None:
    folder = peer / "run-pass" / case
    result = run_tool("rune", "run", runes[case], "--raw", folder / "input.bin")
    outputs = run_outputs(result)
    assert_outputs_match(outputs, peer_expected(folder / EXPECTED[case]))


def test_sine_value(peer: Path, runes: dict[str, Path]) -> None:
    """sin(x) for the case's input through the modulo kernel and the real TFLite model."""
    folder = peer / "run-pass" / "sine"
    (angle,) = struct.unpack("<f", (folder / "input.bin").read_bytes())
    outputs = run_outputs(run_tool("rune", "run", runes["sine"], "--raw", folder / "input.bin"))
    assert [(o["name"], o["kind"]) for o in outputs] == [("serial", "serial")]
    (tensor,) = outputs[0]["tensors"]
    assert tensor["element_type"] == "f32"
    assert tensor["dimensions"] == [1, 1]
    (value,) = tensor["elements"]
    assert truncate5(value) == 0.69727
    # the model is a small network approximating sin (x = 0.8 here, unchanged by `% 360`)
    assert abs(value - math.sin(math.fmod(angle, 360.0))) < 0.05


def test_example_sine_wraps_the_angle(runes: dict[str, Path], tmp_path: Path) -> None:
    """examples/sine wraps with `% 2pi`: 5pi/2 becomes pi/2, where sin is 1."""
    rune = runec_ok(EXAMPLES / "sine" / "Runefile.yml", tmp_path / "example.rune")
    raw = EXAMPLES / "sine" / "input.bin"
    (angle,) = struct.unpack("<f", raw.read_bytes())
    assert abs(angle - 5 * math.pi / 2) < 1e-6
    (output,) = run_outputs(run_tool("rune", "run", rune, "--raw", raw))
    (tensor,) = output["tensors"]
    (value,) = tensor["elements"]
    assert abs(value - 1.0) < 0.05
    assert truncate5(value) == 0.96123


def test_model_from_resource_equals_inline_model(peer: Path, runes: dict[str, Path]) -> None:
    """A model given through a binary resource is the same rune as one given by path."""
    raw = peer / "run-pass" / "sine" / "input.bin"
    a = run_outputs(run_tool("rune", "run", runes["sine"], "--raw", raw))
    b = run_outputs(run_tool("rune", "run", runes["model-from-resource"], "--raw", raw))
    assert a[0]["tensors"] == b[0]["tensors"]
    inspect = run_tool("rune", "inspect", "--json", runes["model-from-resource"])
    manifest = json.loads(inspect.stdout)
    (model,) = manifest["models"]
    assert model["blob"]["length"] == (peer / "run-pass" / "model-from-resource"
                                       / "sinemodel.tflite").stat().st_size


def test_noop_passes_the_raw_bytes_through(peer: Path, runes: dict[str, Path]) -> None:
    raw = (peer / "run-pass" / "noop" / "input.bin").read_bytes()
    outputs = run_outputs(
        run_tool("rune", "run", runes["noop"], "--raw", peer / "run-pass" / "noop" / "input.bin"))
    (tensor,) = outputs[0]["tensors"]
    assert tensor == {"element_type": "i32", "dimensions": [4],
                      "elements": list(struct.unpack("<4i", raw))}
    assert tensor["elements"] == [0, 1, 2, 3]


def test_multiple_outputs_one_file_feeds_every_raw_capability(
    peer: Path, runes: dict[str, Path]
) -> None:
    """The original gave the same file to both RAW capabilities: once or twice, same result."""
    raw = peer / "run-pass" / "multiple-outputs" / "input.bin"
    once = run_outputs(run_tool("rune", "run", runes["multiple-outputs"], "--raw", raw))
    twice = run_outputs(run_tool("rune", "run", runes["multiple-outputs"], "--raw", raw,
                                 "--raw", raw))
    assert once == twice
    (output,) = once
    assert output["name"] == "output" and output["kind"] == "serial"
    u8, i32 = output["tensors"]
    assert u8 == {"element_type": "u8", "dimensions": [16],
                  "elements": [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]}
    assert i32 == {"element_type": "i32", "dimensions": [4], "elements": [0, 1, 2, 3]}


def test_multiple_outputs_raw_files_go_in_manifest_order(
    peer: Path, runes: dict[str, Path], tmp_path: Path
) -> None:
    """With one --raw per RAW capability, the k-th file feeds the k-th capability."""
    first = tmp_path / "bytes.bin"
    first.write_bytes(bytes(range(100, 116)))
    second = tmp_path / "ints.bin"
    second.write_bytes(struct.pack("<4i", -7, 1 << 20, 42, -(1 << 31)))
    (output,) = run_outputs(
        run_tool("rune", "run", runes["multiple-outputs"], "--raw", first, "--raw", second))
    u8, i32 = output["tensors"]
    assert u8["elements"] == list(range(100, 116))
    assert i32["elements"] == [-7, 1 << 20, 42, -(1 << 31)]


def test_run_fail_missing_raw_capability(peer: Path, runes: dict[str, Path]) -> None:
    folder = peer / "run-fail" / "missing-raw-capability"
    result = run_tool("rune", "run", runes["missing-raw-capability"])
    line = assert_clean_failure(result)
    assert line.startswith("rune: error: ")
    for expected in folder.glob("*.stderr"):
        text = expected.read_text(encoding="utf-8").strip()
        assert text.startswith("Error: ")
        assert text.removeprefix("Error: ") in line  # Unable to load the "RAW" input
    assert 'Unable to load the "RAW" input' in line
    assert '"input"' in line  # names the stage
    assert result.stdout == ""


def test_compile_pass_noop_inspect_shows_its_stages(runes: dict[str, Path]) -> None:
    rune = runes["compile-pass-noop"]
    assert rune.read_bytes()[:4] == b"\0asm"
    result = run_tool("rune", "inspect", rune)
    assert result.returncode == 0, result.explain()
    text = result.stdout
    assert text.startswith("rune noop (ABI 1")
    stages = text.split("stages (execution order):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[:2] for line in stages] == [["input", "capability"], ["serial", "out"]]
    assert "i32[4]" in stages[0] and "i32[4]" in stages[1]
    assert "[0] input  RAND  -> i32[4] (16 bytes)" in text
    assert "[0] serial  serial  <- i32[4]" in text
    assert "memory: 16 bytes of tensor buffers" in text

    manifest = json.loads(run_tool("rune", "inspect", "--json", rune).stdout)
    assert manifest["abi_version"] == 1
    assert [s["name"] for s in manifest["stages"]] == ["input", "serial"]
    assert [c["kind"] for c in manifest["capabilities"]] == ["RAND"]
    assert manifest["tensors"] == [{"id": 0, "element_type": "i32", "dimensions": [4]}]


def test_compile_pass_noop_runs_with_a_seed(runes: dict[str, Path]) -> None:
    """RAND is seeded: the same seed gives the same four i32s, another seed others."""
    rune = runes["compile-pass-noop"]
    a, b, c = (run_outputs(run_tool("rune", "run", rune, "--seed", seed))
               for seed in ("1", "1", "2"))
    assert a == b
    assert a != c
    (tensor,) = a[0]["tensors"]
    assert tensor["element_type"] == "i32" and tensor["dimensions"] == [4]
    assert all(-(1 << 31) <= v < (1 << 31) for v in tensor["elements"])
