"""The `rune` command: run/inspect output and one-line errors with the right exit status."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rune.runtime.cli import main
from runekit import (
    PEER,
    SINE_MODEL,
    body_rune,
    double_rune,
    echo_rune,
    multi_raw_rune,
    rand_rune,
    sine_rune,
    utf8_rune,
)


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
        (lambda w: w("s.rune", sine_rune("tensorflow")), 'model format "tensorflow"'),
        (
            lambda w: "/nonexistent/x.rune",
            "/nonexistent/x.rune: No such file or directory",
        ),
    ],
)
def test_load_errors_are_one_line(capsys, write_file, make, message: str) -> None:
    path = make(write_file)
    for argv in (("run", str(path)), ("inspect", str(path))):
        if "model format" in message and argv[0] == "inspect":
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


# -- inputs routed by extension, the original's flags, streaming -------------------------------


def test_files_are_routed_by_extension(capsys, tmp_path) -> None:
    from media import image_bytes, wav_bytes

    wav = tmp_path / "clip.wav"
    wav.write_bytes(wav_bytes(np.arange(16, dtype=np.int16), 16000))
    png = tmp_path / "pic.png"
    png.write_bytes(image_bytes(np.full((2, 2, 3), 9, np.uint8)))
    csv = tmp_path / "moves.csv"
    csv.write_text("1,2,3\n4,5,6\n")
    cases = [
        (echo_rune("SOUND", "i16", [1, 16], {"hz": 16000, "sample_duration_ms": 1}), wav,
         list(range(16))),
        (echo_rune("IMAGE", "u8", [1, 2, 2, 3], {"width": 2, "height": 2}), png, [9] * 12),
        (echo_rune("ACCEL", "f32", [1, 2, 3]), csv, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    ]  # fmt: skip
    for rune_bytes, path, expected in cases:
        rune = tmp_path / "echo.rune"
        rune.write_bytes(rune_bytes)
        for argv in (("run", str(rune), str(path)), ("run", "--seed", "3", str(rune), str(path))):
            code, out, err = run_cli(capsys, *argv)
            assert code == 0, err
            assert json.loads(out)[0]["tensors"][0]["elements"] == expected


def test_explicit_flags_and_sources(capsys, tmp_path) -> None:
    from media import image_bytes

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(image_bytes(np.full((1, 1, 3), 1, np.uint8)))
    b.write_bytes(image_bytes(np.full((1, 1, 3), 2, np.uint8)))
    rune = tmp_path / "two.rune"
    args = [{"source": 1, "width": 1, "height": 1}, {"source": 0, "width": 1, "height": 1}]
    rune.write_bytes(echo_rune("IMAGE", "u8", [1, 1, 1, 3], args))
    code, out, err = run_cli(capsys, "run", str(rune), "--image", str(a), "--image", str(b))
    assert code == 0, err
    assert [o["tensors"][0]["elements"] for o in json.loads(out)] == [[2, 2, 2], [1, 1, 1]]


def test_unknown_extension_and_missing_input_file(capsys, write_file) -> None:
    rune = str(write_file("d.rune", double_rune()))
    code, _, err = run_cli(capsys, "run", rune, "notes.txt")
    assert code == 1 and "cannot tell which capability reads notes.txt" in err
    code, _, err = run_cli(capsys, "run", rune, "/nowhere/in.bin")
    assert code == 1 and err == (
        'rune: error: Unable to load the "RAW" input for stage "input" from /nowhere/in.bin: '
        "No such file or directory\n"
    )


def test_stream_prints_one_json_line_per_hop(capsys, tmp_path) -> None:
    from media import wav_bytes

    wav = tmp_path / "long.wav"
    wav.write_bytes(wav_bytes(np.arange(40, dtype=np.int16), 16000))
    rune = tmp_path / "echo.rune"
    rune.write_bytes(echo_rune("SOUND", "i16", [1, 16], {"hz": 16000, "sample_duration_ms": 1}))
    code, out, err = run_cli(capsys, "run", str(rune), str(wav), "--hop-ms", "1")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["start_ms"] for line in lines] == [0.0, 1.0, 2.0]  # the last one padded
    assert lines[1]["outputs"][0]["tensors"][0]["elements"] == list(range(16, 32))


# -- limits ----------------------------------------------------------------------------------


def test_timeout_flag_stops_a_looping_rune(capsys, write_file) -> None:
    rune = write_file("loop.rune", body_rune("(loop $l (br $l))"))
    code, out, err = run_cli(capsys, "run", str(rune), "--timeout", "150ms")
    assert code == 1 and out == ""
    assert err == (
        "rune: error: the rune ran past its deadline of 0.15 s and was stopped "
        "(limit deadline_s / --timeout)\n"
    )


def test_size_flags(capsys, write_file) -> None:
    rune = str(write_file("s.rune", sine_rune()))
    code, _, err = run_cli(capsys, "run", rune, "--max-model-size", "1k", "--raw", "x.bin")
    assert code == 1 and "is 2640 bytes, more than the limit of 1024" in err
    code, _, err = run_cli(capsys, "run", rune, "--max-tensor-size", "2", "--raw", "x.bin")
    assert code == 1 and "tensor 0 (f32[1,1]) is 4 bytes, more than the limit of 2" in err
    code, _, err = run_cli(capsys, "run", rune, "--max-memory", "lots")
    assert code == 2 and "not a size: 'lots'" in err


# -- bench, graph, model-info -----------------------------------------------------------------


def test_bench_json(capsys, write_file) -> None:
    rune = write_file("s.rune", sine_rune())
    raw = write_file("in.bin", np.float32(1.0).tobytes())
    code, out, err = run_cli(capsys, "bench", str(rune), str(raw), "-n", "200", "--warmup",
                             "20", "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert (report["rune"], report["runs"], report["call_path"]) == ("sine", 200, "unchecked")
    assert set(report["stages"]) == {"inputs", "capability_read", "model:sine", "output_write",
                                     "guest", "outputs"}  # fmt: skip
    total, model = report["total"]["p50"], report["model"]["p50"]
    assert 0 < model < total and report["host_overhead"]["p50"] == pytest.approx(total - model)


def test_bench_text(capsys, write_file) -> None:
    rune = write_file("s.rune", sine_rune())
    raw = write_file("in.bin", np.float32(1.0).tobytes())
    code, out, _ = run_cli(capsys, "bench", str(rune), "--raw", str(raw), "-n", "50",
                           "--warmup", "5", "--public-calls")  # fmt: skip
    assert code == 0
    assert out.startswith("rune sine: 50 runs after 5 warm-up, call path public (the public")
    assert "host overhead" in out and "model:sine" in out


def test_graph_dot(capsys, write_file) -> None:
    code, out, _ = run_cli(capsys, "graph", str(write_file("s.rune", sine_rune())))
    assert code == 0
    assert out.startswith('digraph "sine" {')
    assert '"input" -> "sine" [label="f32[1,1]"];' in out
    assert '"sine" -> "serial" [label="f32[1,1]"];' in out


def test_graph_svg_through_dot(capsys, write_file, tmp_path, monkeypatch) -> None:
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "<svg format=$1>"; /bin/cat > /dev/null\n')
    fake.chmod(0o755)
    rune = str(write_file("s.rune", sine_rune()))
    monkeypatch.setenv("PATH", str(fake.parent))
    target = tmp_path / "g.svg"
    code, _, err = run_cli(capsys, "graph", rune, "-o", str(target))
    assert code == 0, err
    assert target.read_text() == "<svg format=-Tsvg>\n"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run_cli(capsys, "graph", rune, "--format", "png", "-o", str(tmp_path / "g.png"))
    assert code == 1 and "PNG output needs Graphviz's dot program" in err


def test_model_info_tflite(capsys) -> None:
    code, out, _ = run_cli(capsys, "model-info", str(SINE_MODEL))
    assert code == 0
    assert out.splitlines()[0] == "tensorflow-lite model (schema 3, 1 subgraph(s)): TOCO Converted."
    assert "[0] dense_2_input  f32[1,1]" in out and "[0] Identity  f32[1,1]" in out
    assert "FULLY_CONNECTED x3" in out
    code, out, _ = run_cli(capsys, "model-info", str(SINE_MODEL), "--json")
    info = json.loads(out)
    assert info["format"] == "tensorflow-lite" and info["operators"] == {"FULLY_CONNECTED": 3}


def test_model_info_quantized_and_broken(capsys, write_file) -> None:
    model = PEER / "integration-tests/run-pass/microspeech-up/model.tflite"
    code, out, _ = run_cli(capsys, "model-info", str(model))
    assert code == 0 and "quantized: scale [" in out and "i8[1,1960]" in out
    broken = write_file("broken.tflite", model.read_bytes()[:500])
    code, out, err = run_cli(capsys, "model-info", str(broken))
    assert code == 1 and out == "" and err.startswith("rune: error: ") and err.count("\n") == 1
