"""TensorFlow.js models (`format: tensorflow-js`) on the web host's tfjs handler, in Node and in
Chromium, against NumPy's result of the same model.

Two runes, compiled by `runec` from Runefiles that name a tfjs model folder (packed as a zip):
a graph model written here (MatMul, BiasAdd, Relu; its weights split over two shards) and the
peer suite's own layers model (sine-wave, a Keras Sequential of three Dense layers). The Python
host runs each with a NumPy handler standing in for the model (it has no tfjs handler), which
gives the expected JSON and the model calls to replay; the web host must then print the same
JSON with the calls replayed, and with tfjs's CPU kernels floats within
TFLITE_ATOL + TFLITE_RTOL * |numpy| (1e-5 + 1e-4·|x|). The Python host itself refuses such a
rune, with one error line that says why and where to run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rune.runtime import Rune
from rune.runtime.capabilities import assign_sources, group_of
from rune.runtime.handlers import HandlerRegistry
from rune.runtime.outputs import render_json

from tests.peer.harness import INTEGRATION, Toolbox

from . import webkit
from .test_web_cases import assert_within_bound, check
from .tfjs_models import DenseGraph, NumpyHandler, layers_dense, run_layers

GRAPH_RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  x:
    capability: RAW
    outputs: [{type: f32, dimensions: [2, 8]}]
  dense:
    model: ./dense-tfjs/
    args: {format: tensorflow-js}
    inputs: [x]
    outputs: [{type: f32, dimensions: [2, 3]}]
  serial:
    out: serial
    inputs: [dense]
"""

SINE = INTEGRATION / "compile-pass" / "directories-are-zipped-when-used-for-models"


def record(case: webkit.Case, forward: Any) -> None:
    """The Python host's run of the case with NumPy as the model: expected JSON, model calls."""
    calls: list[list[dict[str, list[str]]]] = [[]]
    registry = HandlerRegistry()
    registry.register(
        "tensorflow-js", lambda m, spec: webkit._Recorder(NumpyHandler(forward, spec), calls[0], 1)
    )
    rune = Rune.load(case.rune, handlers=registry, cache_dir=None)
    sources: dict[str, list[Any]] = {}
    for path in case.files:
        sources.setdefault(group_of(path), []).append(path)
    case.expected = render_json(rune.run(assign_sources(rune.manifest, sources)))
    case.models = calls


@pytest.fixture(scope="module")
def tfjs_cases(tools: Toolbox, scratch: Path) -> tuple[Path, dict[str, webkit.Case]]:
    folder = scratch / "tfjs"
    graph = DenseGraph.random(seed=5)
    graph.write(folder / "dense-tfjs", batch=2)
    (folder / "Runefile.yml").write_text(GRAPH_RUNEFILE, encoding="utf-8")
    x = folder / "x.bin"
    x.write_bytes(np.random.default_rng(6).normal(size=(2, 8)).astype("<f4").tobytes())
    angle = folder / "angle.bin"
    angle.write_bytes(np.array([362.5], "<f4").tobytes())  # 2.5 after the modulo block
    layers = layers_dense(SINE / "sine-wave")
    cases = {
        "tfjs/graph:dense": (webkit.Case("tfjs/graph:dense", folder / "Runefile.yml", [x]), graph),
        "tfjs/layers:sine-wave": (
            webkit.Case("tfjs/layers:sine-wave", SINE / "Runefile.yml", [angle]),
            lambda v: run_layers(layers, v),
        ),
    }
    for case, forward in cases.values():
        case.rune = tools.compile(case.runefile).ok()
        record(case, forward)
    path = scratch / "tfjs-cases.json"
    path.write_text(json.dumps([c.to_json() for c, _ in cases.values()]), encoding="utf-8")
    return path, {k: c for k, (c, _) in cases.items()}


def test_numpy_reference_is_not_trivial(tfjs_cases: tuple[Path, dict[str, webkit.Case]]) -> None:
    """The expected outputs are real numbers of the models (not zeros), so the bound bites."""
    _, cases = tfjs_cases
    graph = json.loads(cases["tfjs/graph:dense"].expected)[0]["tensors"][0]
    assert graph["dimensions"] == [2, 3] and len(set(graph["elements"])) == 6
    sine = json.loads(cases["tfjs/layers:sine-wave"].expected)[0]["tensors"][0]["elements"][0]
    assert abs(sine - np.sin(2.5)) < 0.2  # the peer suite's model approximates sin


def test_tfjs_node(
    web_built: None, tfjs_cases: tuple[Path, dict[str, webkit.Case]], scratch: Path
) -> None:
    path, cases = tfjs_cases
    out = scratch / "tfjs-node-results.json"
    subprocess.run(["node", str(webkit.NODE_CASES), str(path), str(out)], check=True, timeout=300)
    results = {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    assert sorted(results) == sorted(cases)
    for case_id, case in cases.items():
        check(results[case_id], case, "node")


def test_tfjs_chromium(
    web_built: None, tfjs_cases: tuple[Path, dict[str, webkit.Case]], scratch: Path
) -> None:
    path, cases = tfjs_cases
    config = {
        "cases": str(path),
        "chromium": str(webkit.CHROMIUM),
        "allowed": sorted(str(p) for c in cases.values() for p in [c.rune, *c.files]),
    }
    config_path, out = scratch / "tfjs-browser-config.json", scratch / "tfjs-browser-results.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    subprocess.run(
        ["node", str(webkit.BROWSER), str(config_path), str(out)], check=True, timeout=600
    )
    results = {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))["cases"]}
    assert sorted(results) == sorted(cases)
    for case_id, case in cases.items():
        check(results[case_id], case, "chromium")


def test_tfjs_cli(web_built: None, tfjs_cases: tuple[Path, dict[str, webkit.Case]]) -> None:
    """`rune-web run` prints the JSON within the bound, and nothing on stderr (tfjs's Node banner
    is kept out of it)."""
    _, cases = tfjs_cases
    for case in cases.values():
        result = subprocess.run(
            ["node", str(webkit.CLI), "run", str(case.rune), *map(str, case.files)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0 and result.stderr == "", result
        assert_within_bound(result.stdout, case.expected, f"cli {case.id}")


def test_python_host_refuses_tfjs(tfjs_cases: tuple[Path, dict[str, webkit.Case]]) -> None:
    """`rune run` on a tfjs rune: one error line naming the format, the reason and the web host."""
    _, cases = tfjs_cases
    case = cases["tfjs/graph:dense"]
    rune = Path(sys.executable).with_name("rune")
    result = subprocess.run(
        [str(rune), "run", str(case.rune), str(case.files[0])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rune: error: ")
    for words in (
        'model "dense" has format tensorflow-js',
        "no converter from TensorFlow.js graph",
        "npx rune-web run",
    ):
        assert words in lines[0], lines[0]
    assert result.stdout == ""
