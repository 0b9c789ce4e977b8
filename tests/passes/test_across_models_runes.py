"""The whole-pipeline passes across a compiled model's boundary change no output.

Every example and peer-suite rune whose models compile quickly runs with `--models=compiled`
at -O2, once with the default pipeline and once without the passes of
`registry.ACROSS_MODELS`, on the inputs the peer suite gives it: the outputs are equal bit for
bit (the passes are exact). Style transfer, the only peer model with quantize/dequantize
round trips, takes minutes to compile; tests/peer's `test_run_pass_compiled` runs it (with
these passes) against the handler rune on LiteRT's reference kernels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.passes.registry import ACROSS_MODELS, default_pipeline
from rune.runtime import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "peer-suite" / "hotg-rune"
RUN_PASS = PEER / "integration-tests" / "run-pass"

CASES = {  # Runefile -> the inputs to run it on, one run each
    RUN_PASS / "microspeech-up" / "Runefile.yml":
        [RUN_PASS / f"microspeech-{w}" / f"{w}.wav" for w in ("up", "down", "left", "right")],
    RUN_PASS / "gesture-ring" / "Runefile.yml": [RUN_PASS / "gesture-ring" / "example_ring.csv",
                                                 PEER / "examples/gesture/example_wing.csv"],
    RUN_PASS / "_gesture-slope" / "Runefile.yml": [RUN_PASS / "_gesture-slope" /
                                                   "example_slope.csv"],
    ROOT / "examples/sine/Runefile.yml": [ROOT / "examples/sine/input.bin"],
    PEER / "examples/person_detection/Runefile.yml": [
        PEER / "examples/person_detection/image.png",
        PEER / "examples/person_detection/image_grayscale.png"],
}


def _rune(runefile: Path, across: bool) -> Rune:
    spec = default_pipeline("2", "compiled")
    if not across:
        spec = ",".join(p for p in spec.split(",") if p not in ACROSS_MODELS)
    options = CompileOptions(passes=spec, opt_level="2", models="compiled",
                             allow_paths=(PEER, ROOT))
    return Rune.load(compile_runefile(runefile, "rune", options))


def _outputs(rune: Rune, path: Path) -> list[np.ndarray | list]:
    (capability,) = rune.manifest.capabilities
    return [t.data for output in rune.run({capability.name: str(path)})
            for t in output.tensors]


@pytest.mark.parametrize("runefile", list(CASES), ids=lambda p: p.parent.name)
def test_outputs_equal_with_and_without_the_passes(runefile: Path):
    fused, plain = _rune(runefile, True), _rune(runefile, False)
    for path in CASES[runefile]:
        got, want = _outputs(fused, path), _outputs(plain, path)
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            if isinstance(b, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b), path.name
            else:
                assert a == b, path.name


def test_microspeech_loses_its_softmax():
    stages = [s.name for s in _rune(RUN_PASS / "microspeech-up" / "Runefile.yml",
                                    True).manifest.stages]
    assert "model#3" not in stages and "model#2" in stages
