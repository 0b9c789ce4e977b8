"""fuse-elementwise-into-model-inputs changes no output and drops the producer's tensor.

The peer suite's sine pipeline (RAW -> modulo 360 -> the float sine model), models compiled,
at -O2 with and without the pass: outputs equal bit for bit on values where fmod is exact
and at its edges (multiples of the modulus, -0, huge values, infinities, NaN), and the
manifest's plan has one tensor less, the modulo's, and a smaller naive sum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rune.passes.registry import default_pipeline
from rune.runtime import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

PEER = Path(__file__).resolve().parents[2].parent / "shared" / "peer-suite" / "hotg-rune"
SINE = PEER / "integration-tests" / "run-pass" / "sine" / "Runefile.yml"
PASS = "fuse-elementwise-into-model-inputs"


def _rune(fused: bool) -> Rune:
    spec = default_pipeline("2", "compiled")
    assert PASS in spec.split(",")
    if not fused:
        spec = ",".join(p for p in spec.split(",") if p != PASS)
    options = CompileOptions(passes=spec, opt_level="2", models="compiled", allow_paths=(PEER,))
    return Rune.load(compile_runefile(SINE, "rune", options))


def test_sine_is_bit_for_bit_without_the_modulo_tensor():
    fused, plain = _rune(True), _rune(False)
    edges = [0.0, -0.0, 1.0, 359.99997, 360.0, -360.0, 720.0, 1e-45, -1e-45, 1e30, -1e30,
             3.4028235e38, np.inf, -np.inf, np.nan]
    values = np.concatenate([np.random.default_rng(7).uniform(-2e4, 2e4, 300),
                             edges]).astype(np.float32)
    for value in values:
        feed = {"rand": np.array([[value]], dtype=np.float32)}
        got = np.asarray(fused.run(feed)[0].tensors[0].data, dtype=np.float32)
        want = np.asarray(plain.run(feed)[0].tensors[0].data, dtype=np.float32)
        assert got.view(np.uint32).tolist() == want.view(np.uint32).tolist(), value

    names = {s.name for s in plain.manifest.stages}
    assert "mod360" in names and "mod360" not in {s.name for s in fused.manifest.stages}
    with_pass, without = fused.manifest.memory, plain.manifest.memory
    assert len(with_pass.tensors) == len(without.tensors) - 1
    assert with_pass.naive_bytes < without.naive_bytes
    assert with_pass.arena_bytes <= without.arena_bytes
