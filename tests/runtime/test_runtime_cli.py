"""The `rune` command: run/inspect output and one-line errors with the right exit status."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rune.tools.rune import main
from runekit import PEER, body_rune, double_rune, multi_raw_rune, rand_rune, sine_rune, utf8_rune


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_prints_json(capsys, write_file) -> None:
    rune = write_file("sine.rune", sine_rune())
    raw = PEER / "integration-tests/run-pass/sine/input.bin"
    code, out, err = run_cli(capsys, "run", str(rune), "--raw", str(raw))
    assert code == 0, err
    result = json.loads(out)
    assert result[0]["name"] == "serial" and result[0]["kind"] == "serial"
    (tensor,) = result[0]["tensors"]
    assert tensor["element_type"] == "f32" and tensor["dimensions"] == [1, 1]
    assert tensor["elements"][0] == pytest.approx(0.69727874, abs=1e-5)


def test_run_one_raw_feeds_both_capabilities_like_the_peer_case(capsys, write_file) -> None:
    rune = write_file("multi.rune", multi_raw_rune())
    case = PEER / "integration-tests/run-pass/multiple-outputs"
    code, out, err = run_cli(capsys, "run", str(rune), "--raw", str(case / "input.bin"))
    assert code == 0, err
    expected = json.loads((case / "expected.stdout").read_text())["3"]
    tensors = json.loads(out)[0]["tensors"]
    assert [(t["element_type"], t["dimensions"], t["elements"]) for t in tensors] == [
        (e["element-type"], e["dimensions"], e["elements"]) for e in expected
    ]


def test_run_with_named_inputs_and_pretty(capsys, write_file) -> None:
    rune = write_file("double.rune", double_rune())
    data = write_file("in.bin", np.array([1, -2, 3, 40], dtype="<i4").tobytes())
    code, out, err = run_cli(capsys, "run", str(rune), "--input", f"input={data}", "--pretty")
    assert code == 0, err
    assert out.splitlines() == ["serial (serial)", "  [0] i32[4]  [2, -4, 6, 80]"]


def test_run_utf8(capsys, write_file) -> None:
    code, out, _ = run_cli(capsys, "run", str(write_file("l.rune", utf8_rune())))
    assert code == 0
    assert json.loads(out)[0]["tensors"][0]["elements"] == ["hello", "wörld"]


def test_run_seed(capsys, write_file) -> None:
    rune = str(write_file("rand.rune", rand_rune("u32", [4], 16)))
    outs = [run_cli(capsys, "run", rune, "--seed", seed)[1] for seed in ("1", "1", "2")]
    assert outs[0] == outs[1] != outs[2]
    expected = np.random.default_rng(1).integers(0, 2**32 - 1, 4, np.uint32, endpoint=True)
    assert json.loads(outs[0])[0]["tensors"][0]["elements"] == expected.tolist()


def test_missing_raw_capability_error(capsys, write_file) -> None:
    code, out, err = run_cli(capsys, "run", str(write_file("d.rune", double_rune())))
    assert code == 1 and out == ""
    assert err.startswith("rune: error: ") and err.count("\n") == 1
    assert 'Unable to load the "RAW" input' in err


def test_wrong_raw_length_error(capsys, write_file) -> None:
    rune = write_file("d.rune", double_rune())
    raw = write_file("short.bin", b"\x01\x02")
    code, _, err = run_cli(capsys, "run", str(rune), "--raw", str(raw))
    assert code == 1
    assert "the input is 2 bytes but its tensor i32[4] needs exactly 16 bytes" in err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda w: w("bad.rune", b"PK not wasm"), "not a WebAssembly module"),
        (lambda w: w("t.rune", double_rune()[:-5]), "truncated file"),
        (lambda w: w("s.rune", sine_rune("tensorflow-js")), 'model format "tensorflow-js"'),
        (
            lambda w: "/nonexistent/x.rune",
            "/nonexistent/x.rune: No such file or directory",
        ),
    ],
)
def test_load_errors_are_one_line(capsys, write_file, make, message: str) -> None:
    path = make(write_file)
    for argv in (("run", str(path)), ("inspect", str(path))):
        if "tensorflow-js" in message and argv[0] == "inspect":
            continue  # inspect reads the manifest only; it can describe any format
        code, out, err = run_cli(capsys, *argv)
        assert code == 1 and out == ""
        assert err.startswith("rune: error: ") and message in err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_trap_error(capsys, write_file) -> None:
    code, _, err = run_cli(capsys, "run", str(write_file("t.rune", body_rune("unreachable"))))
    assert (
        code == 1
        and err == "rune: error: the rune trapped: wasm `unreachable` instruction executed\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("frobnicate",),
        ("run",),
        ("run", "x.rune", "--seed", "abc"),
        ("run", "x.rune", "--input", "novalue"),
        ("inspect", "x.rune", "--bogus"),
    ],
)
def test_usage_errors_exit_2(capsys, argv) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("rune: error: ") and err.count("\n") == 1


def test_help_exits_0(capsys) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "inspect" in out


def test_inspect_text(capsys, write_file) -> None:
    code, out, err = run_cli(capsys, "inspect", str(write_file("s.rune", sine_rune())))
    assert code == 0, err
    assert "rune sine (ABI 1, image runicos/base, compiler hand-written test)" in out
    assert "[0] input  RAW  -> f32[1,1] (4 bytes)  length=4" in out
    assert "[0] sine  tensorflow-lite  2640 bytes  in f32[1,1] -> out f32[1,1]" in out
    assert "[0] serial  serial  <- f32[1,1]" in out


def test_inspect_stages(capsys, write_file) -> None:
    code, out, _ = run_cli(capsys, "inspect", str(write_file("d.rune", double_rune())))
    assert code == 0
    assert "stages (execution order):" in out
    assert "double  proc-block double  i32[4] -> i32[4]" in out


def test_inspect_json(capsys, write_file) -> None:
    code, out, _ = run_cli(capsys, "inspect", str(write_file("s.rune", sine_rune())), "--json")
    assert code == 0
    manifest = json.loads(out)
    assert manifest["abi_version"] == 1 and manifest["models"][0]["format"] == "tensorflow-lite"
