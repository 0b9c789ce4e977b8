"""Class 1: hostile values in a Runefile or a manifest are one located diagnostic (runec) or one
`rune: error:` line, never an internal compiler error, a hang or a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from e2e_harness import assert_clean_failure, run_many
from hostile_runes import SINE, sine_project, with_manifest
from rune.abi.container import read_rune
from rune.abi.manifest import encode as encode_manifest
from rune.kernels.fft import plan
from rune.runtime.errors import RuneLoadError
from rune.runtime.host import Rune

DEEP = "[" * 1000
HUGE_INT = "9" * 5000

# name -> (replace in examples/sine/Runefile.yml, line:col, message start)
CASES = {
    "deep-flow": (("modulus: 6.2831855", f"modulus: {DEEP}"), "21:76",
                  "YAML nested deeper than 64"),
    "5000-digits": (("length: 4", f"length: {HUGE_INT}"), "12:15",
                    "integer literal of 5000 characters is too long"),
    "beyond-i64-dimension": (("dimensions: [1, 1]\n    args:\n      length",
                              "dimensions: [99999999999999999999, 1]\n    args:\n      length"),
                             "10:22", "integer 99999999999999999999 does not fit in 64 bits"),
    "inf": (("modulus: 6.2831855", "modulus: .inf"), "21:16", "number inf is not finite"),
    "nan": (("modulus: 6.2831855", "modulus: .nan"), "21:16", "number nan is not finite"),
    "float-overflow": (("modulus: 6.2831855", "modulus: 1.0e+999"), "21:16",
                       "number inf is not finite"),
    "float-string": (("modulus: 6.2831855", 'modulus: "1e999"'), "14:17",
                     "argument `modulus`: number inf is not finite"),
    "int-string": (("length: 4", 'length: "4"\n  extra:\n    proc-block: top_k\n'
                    '    inputs: [angle]\n    outputs: [{type: f32, dimensions: [1]}]\n'
                    f'    args: {{k: "{"9" * 4000}"}}'), "14:17",
                   "argument `k`: integer 9999999999...999999 has 4000 digits"),
    "tag-int": (("length: 4", "length: !!int x"), "12:15", "explicit YAML tag `!!int`"),
    "tag-float": (("modulus: 6.2831855", "modulus: !!float abc"), "21:16",
                  "explicit YAML tag `!!float`"),
    "tag-bool": (("length: 4", "length: !!bool maybe"), "12:15", "explicit YAML tag `!!bool`"),
    "output-kind": (("out: serial", "out: stdout"), "30:10",
                    'unknown output kind "stdout" for "serial"; expected one of serial'),
    "capability": (("capability: RAW", "capability: TEMPERATURE"), "7:17",
                   'unknown capability "TEMPERATURE" for "angle"'),
    "capability-space": (("capability: RAW", 'capability: "RAW "'), "7:17",
                         'unknown capability "RAW " for "angle"'),
    "superscript-length": (("length: 4", 'length: "²"'), "12:7",
                           "argument `length` of capability RAW must be a non-negative integer"),
    "float-length": (("length: 4", "length: 1.0e30"), "12:7",
                     "argument `length` of capability RAW must be a non-negative integer"),
    "huge-tensor": (("dimensions: [1, 1]\n    args:\n      length",
                     "dimensions: [1000000, 1000000]\n    args:\n      length"), "9:9",
                    'output of "angle" [1000000, 1000000] needs more than 2147483648 bytes'),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, object]]:
    root = tmp_path_factory.mktemp("values")
    paths = {name: sine_project(root / name, case[0]) for name, case in CASES.items()}
    results = run_many([("runec", path, "-o", root / f"{name}.rune")
                        for name, path in paths.items()])
    return {name: (paths[name], result) for name, result in zip(paths, results, strict=True)}


@pytest.mark.parametrize("name", list(CASES))
def test_runefile_value_is_one_located_error(name: str, compiled: dict):
    path, result = compiled[name]
    line = assert_clean_failure(result)
    where, message = CASES[name][1], CASES[name][2]
    assert line.startswith(f"{path}:{where}"), result.explain()
    assert f"error: {message}" in line, result.explain()
    assert "internal compiler error" not in result.stderr


def test_fft_planning_is_constant_time():
    start = time.perf_counter()
    p = plan(10**12, 480, 0.6666667)
    assert time.perf_counter() - start < 0.5
    assert p.fft_size == 512 and len(p.frame_starts) == 49
    # the closed form frames the microspeech input as the stepping loops did (15264 from them)
    assert plan(16000, 480, 0.6666667).frame_starts[-1] == 15264


def test_an_arena_past_2_gib_is_an_error_not_an_llvm_abort(tmp_path: Path):
    chain = "".join(
        f"  {name}:\n    proc-block: \"hotg-ai/proc-blocks@v0.11.3#modulo\"\n"
        f"    inputs: [{source}]\n    outputs:\n      - type: u8\n"
        f"        dimensions: [1500000000]\n    args: {{modulus: 3}}\n"
        for name, source in (("b", "a"), ("c", "b")))
    path = tmp_path / "Runefile.yml"
    path.write_text("version: 1\nimage: x\npipeline:\n  a:\n    capability: RAW\n"
                    "    outputs:\n      - type: u8\n        dimensions: [1500000000]\n"
                    f"{chain}  serial:\n    out: serial\n    inputs: [c, a]\n")
    (result,) = run_many([("runec", path, "-O0", "-o", tmp_path / "x.rune")])
    line = assert_clean_failure(result)
    assert line.startswith(f"{path}:4:3: error: the pipeline needs 4500000000 bytes of tensor "
                           "memory at once, more than the 2147483648 (2 GiB)")


# --- the manifest ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sine_rune(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("sine")
    (result,) = run_many([("runec", SINE / "Runefile.yml", "-o", root / "sine.rune")])
    assert result.returncode == 0, result.explain()
    return (root / "sine.rune").read_bytes()


def _manifests(rune: bytes) -> dict[str, tuple[bytes, str]]:
    manifest = read_rune(rune).manifest
    text = encode_manifest(dict(manifest, abi_version=12345)).decode()
    digits_text = text.replace('"abi_version":12345', f'"abi_version":{"9" * 4301}')
    caps = [dict(c, args={"length": "²"}) for c in manifest["capabilities"]]
    huge = [dict(t, dimensions=[10**12, 10**12, 10**12]) for t in manifest["tensors"]]
    return {
        "deep": (encode_manifest(dict(manifest, extra=json.loads("[" * 60 + "]" * 60)))
                 .replace(b"[[", b"[" * 500 + b"[[").replace(b"]]", b"]" * 500 + b"]]"),
                 "rune.manifest nests deeper than 64 levels"),
        "4301-digits": (digits_text.encode(), "has 4301 digits; at most 20 fit in 64 bits"),
        "nan": (encode_manifest(manifest)[:-1] + b',"x":NaN}', "holds NaN"),
        "superscript-length": (encode_manifest(dict(manifest, capabilities=caps)),
                               "argument length='²' is not a non-negative integer"),
        "huge-dimensions": (encode_manifest(dict(manifest, tensors=huge)),
                            "needs more than 4611686018427387904 bytes (a size no machine has)"),
    }


def test_hostile_manifests_are_one_error_in_every_command(sine_rune: bytes, tmp_path: Path):
    cases = _manifests(sine_rune)
    calls, expected = [], []
    for name, (raw, message) in cases.items():
        path = tmp_path / f"{name}.rune"
        path.write_bytes(with_manifest(sine_rune, raw))
        for command in (("inspect",), ("graph",), ("run", "--raw", SINE / "input.bin")):
            if name == "superscript-length" and command[0] != "run":
                continue  # inspect and graph never read capability arguments
            calls.append(("rune", command[0], path, *command[1:]))
            expected.append(message)
        with pytest.raises(RuneLoadError if name != "superscript-length" else Exception,
                           match=message.replace("(", r"\(").replace(")", r"\)")
                           .replace("[", r"\[")):
            Rune.load(path, cache_dir=None)
    for result, message in zip(run_many(calls), expected, strict=True):
        line = assert_clean_failure(result)
        assert line.startswith("rune: error: ") and message in line, result.explain()
