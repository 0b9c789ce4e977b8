"""The profiler: `runec --profile` probes every kernel, `rune bench --kernels` times each one.

Runs on microspeech from the peer suite (four kernels: fft, noise_filtering, most_confident,
label), compiled with and without the probes in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from rune.abi.container import read_rune
from rune.frontend.diagnostics import DiagnosticEngine
from rune.runtime.bench import bench
from rune.runtime.errors import RuneLoadError
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

REPO = Path(__file__).resolve().parents[2]
CASE = REPO.parent / "shared" / "peer-suite" / "hotg-rune" / "integration-tests" / "run-pass" / \
    "microspeech-up"
KERNELS = ["fft", "noise_filtering", "most_confident", "label"]


def _compile(profile: bool) -> bytes:
    options = CompileOptions(profile=profile)
    return compile_runefile(str(CASE / "Runefile.yml"), "rune", options, DiagnosticEngine())


@pytest.fixture(scope="module")
def runes(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("profile")
    paths = {}
    for name, profile in (("plain", False), ("profiled", True)):
        paths[name] = folder / f"{name}.rune"
        paths[name].write_bytes(_compile(profile))
    return paths


def _audio() -> np.ndarray:
    with wave.open(str(CASE / "up.wav")) as wav:
        return np.frombuffer(wav.readframes(16000), dtype="<i2").reshape(1, 16000)


def _imports(wasm: bytes) -> set[str]:
    import wasmtime

    module = wasmtime.Module(wasmtime.Engine(), wasm)
    return {f"{i.module}.{i.name}" for i in module.imports}


def test_probes_are_opt_in(runes):
    plain = read_rune(runes["plain"].read_bytes())
    profiled = read_rune(runes["profiled"].read_bytes())
    assert "rune.probe" not in _imports(plain.wasm)
    assert "probes" not in plain.manifest
    assert "rune.probe" in _imports(profiled.wasm)
    assert profiled.manifest["probes"] == KERNELS
    # the same answer either way
    audio = _audio()
    got = [Rune.load(runes[n]).run({"audio": audio})[0].tensors[0].data for n in runes]
    assert got[0] == got[1] == ["up"]


def test_bench_reports_each_kernel(runes):
    report = bench(read_rune(runes["profiled"].read_bytes()), {"audio": _audio()}, runs=50,
                   warmup=5, kernels=True)
    assert list(report.kernels) == KERNELS
    # fft and noise filtering do real work on 16000 samples; argmax and label on six values
    assert report.kernels["fft"].p50 > 10 * report.kernels["label"].p50 > 0
    assert sum(s.p50 for s in report.kernels.values()) < report.stages["guest"].p90
    assert set(report.to_json()["kernels"]) == set(KERNELS)
    assert "  noise_filtering" in report.to_text()


def test_kernels_needs_a_profiled_rune(runes):
    with pytest.raises(RuneLoadError, match="runec --profile"):
        bench(read_rune(runes["plain"].read_bytes()), {"audio": _audio()}, runs=2, warmup=1,
              kernels=True)
    cli = subprocess.run([sys.executable, "-m", "rune.runtime.cli", "bench", str(runes["plain"]),
                          str(CASE / "up.wav"), "-n", "2", "--warmup", "1", "--kernels"],
                         capture_output=True, text=True)
    assert cli.returncode != 0
    assert cli.stderr.startswith("rune: error:") and "runec --profile" in cli.stderr
    assert "Traceback" not in cli.stderr


def test_bench_json_includes_kernels(runes):
    cli = subprocess.run([sys.executable, "-m", "rune.runtime.cli", "bench",
                          str(runes["profiled"]), str(CASE / "up.wav"), "-n", "20", "--warmup",
                          "2", "--kernels", "--json"], capture_output=True, text=True, check=True)
    report = json.loads(cli.stdout)
    assert list(report["kernels"]) == KERNELS
    assert all(report["kernels"][k]["p50"] > 0 for k in ("fft", "noise_filtering"))


# -- models compiled into the rune (runec --models=compiled) ------------------------------------

EXAMPLE = REPO / "examples" / "microspeech"
COMPILED_UNITS = ["fft", "noise_filtering", "model", "most_confident", "label"]


@pytest.fixture(scope="module")
def compiled_runes() -> dict[str, bytes]:
    """examples/microspeech with its model compiled in, with and without the probes."""
    runes = {}
    for name, profile in (("plain", False), ("profiled", True)):
        options = CompileOptions(profile=profile, models="compiled")
        runes[name] = compile_runefile(str(EXAMPLE / "Runefile.yml"), "rune", options,
                                       DiagnosticEngine())
    return runes


def test_a_compiled_model_is_probed_as_a_whole(compiled_runes):
    profiled = read_rune(compiled_runes["profiled"])
    assert profiled.manifest["probes"] == COMPILED_UNITS
    assert [m["name"] for m in profiled.manifest["compiled_models"]] == ["model"]
    assert profiled.manifest["models"] == []  # no handler: the host never sees the model
    got = [Rune.load(compiled_runes[n]).run({"audio": _audio()})[0].value
           for n in ("plain", "profiled")]
    assert got == [["up"], ["up"]]


def test_bench_times_a_compiled_model(compiled_runes):
    report = bench(read_rune(compiled_runes["profiled"]), {"audio": _audio()}, runs=300,
                   warmup=20, kernels=True)
    assert list(report.kernels) == COMPILED_UNITS
    model = report.model
    assert model is not None and report.overhead is not None
    # the model's guest time: its own stage, its kernels row, and all of `model`
    assert report.stages["model:model"] == report.kernels["model"]
    assert model.p50 == pytest.approx(report.kernels["model"].p50)
    # a depthwise convolution and a fully connected layer over 1960 values: tens of µs, more
    # than label's six-value lookup, far less than the whole run
    assert 10 * report.kernels["label"].p50 < model.p50 < report.total.p50
    assert report.overhead.p50 == pytest.approx(report.total.p50 - model.p50)
    assert report.untimed_models == ()
    # `guest` no longer holds the model; the proc blocks' kernels still break it down
    procs = sum(report.kernels[k].p50 for k in COMPILED_UNITS if k != "model")
    assert procs < report.stages["guest"].p90
    document = report.to_json()
    assert document["model"]["p50"] == model.p50 and document["untimed_models"] == []
    text = report.to_text()
    assert "model:model" in text and "\n  model " in text


def test_bench_refuses_to_guess_an_untimed_compiled_model(compiled_runes):
    report = bench(read_rune(compiled_runes["plain"]), {"audio": _audio()}, runs=20, warmup=2)
    assert report.model is None and report.overhead is None
    assert report.untimed_models == ("model",)
    assert "model:model" not in report.stages
    document = report.to_json()
    assert document["model"] is None and document["host_overhead"] is None
    assert document["untimed_models"] == ["model"]
    text = report.to_text()
    assert "host overhead                  n/a" in text
    assert "compiled model model runs inside the guest untimed" in text
