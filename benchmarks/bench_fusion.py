"""Fusion: preprocessing chains compiled fused (-O2) against unfused (-O0) and against NumPy,
all measured in this one process on the same inputs.

Run: python benchmarks/bench_fusion.py (part of `make bench`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from common import median_seconds, table
from rune.passes.registry import default_pipeline
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

REPEATS = 200

IMAGE = """\
version: 1
image: runicos/base
pipeline:
  x0:
    capability: RAW
    outputs: [{type: u8, dimensions: [1, 224, 224, 3]}]
  to_float:
    proc-block: cast
    inputs: [x0]
    outputs: [{type: f32, dimensions: [1, 224, 224, 3]}]
  unit:
    proc-block: affine
    inputs: [to_float]
    outputs: [{type: f32, dimensions: [1, 224, 224, 3]}]
    args: {scale: 0.003921569}
  standard:
    proc-block: standardize
    inputs: [unit]
    outputs: [{type: f32, dimensions: [1, 224, 224, 3]}]
    args: {mean: 0.485, std: 0.229}
  nchw:
    proc-block: transpose
    inputs: [standard]
    outputs: [{type: f32, dimensions: [1, 3, 224, 224]}]
    args: {perm: "0,3,1,2"}
  serial:
    out: serial
    inputs: [nchw]
"""

AUDIO = """\
version: 1
image: runicos/base
pipeline:
  x0:
    capability: RAW
    outputs: [{type: i16, dimensions: [1, 16000]}]
  to_float:
    proc-block: cast
    inputs: [x0]
    outputs: [{type: f32, dimensions: [1, 16000]}]
  unit:
    proc-block: affine
    inputs: [to_float]
    outputs: [{type: f32, dimensions: [1, 16000]}]
    args: {scale: 0.000030517578}
  standard:
    proc-block: standardize
    inputs: [unit]
    outputs: [{type: f32, dimensions: [1, 16000]}]
    args: {mean: 0.01, std: 0.3}
  scaled:
    proc-block: normalize
    inputs: [standard]
    outputs: [{type: f32, dimensions: [1, 16000]}]
  serial:
    out: serial
    inputs: [scaled]
"""


def numpy_image(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float32) * np.float32(0.003921569)
    y = (y - np.float32(0.485)) / np.float32(0.229)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def numpy_audio(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float32) * np.float32(0.000030517578)
    y = (y - np.float32(0.01)) / np.float32(0.3)
    low, high = y.min(), y.max()
    return (y - low) / (high - low)


# -O2 with every pass but the two that merge stages: isolates what fusion itself buys.
NO_FUSION = default_pipeline("2").replace("fold-affine,", "").replace("fuse-elementwise,", "")


def compile_rune(text: str, options: CompileOptions, tmp: Path) -> Rune:
    path = tmp / "Runefile.yml"
    path.write_text(text)
    return Rune.load(compile_runefile(path, "rune", options))


def measure(name: str, text: str, numpy_chain, x: np.ndarray, tmp: Path) -> list[str]:
    runes = {
        "fused": compile_rune(text, CompileOptions(opt_level="2"), tmp),
        "unfused": compile_rune(text, CompileOptions(opt_level="0"), tmp),
        "no fusion": compile_rune(text, CompileOptions(opt_level="2", passes=NO_FUSION), tmp),
    }
    expected = numpy_chain(x)
    for rune in runes.values():
        got = rune.run({"x0": x})[0].tensors[0].data
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    times = {key: median_seconds(lambda r=rune: r.run({"x0": x}), REPEATS)
             for key, rune in runes.items()}
    t_numpy = median_seconds(lambda: numpy_chain(x), REPEATS)
    fused = times["fused"]
    return [name, *(f"{times[k] * 1e6:.0f}" for k in runes), f"{t_numpy * 1e6:.0f}",
            f"{times['unfused'] / fused:.2f}x", f"{times['no fusion'] / fused:.2f}x",
            f"{t_numpy / fused:.2f}x"]


def main() -> int:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (1, 224, 224, 3), dtype=np.uint8)
    audio = rng.integers(-32768, 32768, (1, 16000), dtype=np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            measure("image u8 HWC->f32 /255 std NCHW", IMAGE, numpy_image, image, Path(tmp)),
            measure("audio i16->f32 scale std normalize", AUDIO, numpy_audio, audio, Path(tmp)),
        ]
    print(f"Fusion: median µs per run over {REPEATS} runs (whole rune.run, host included)")
    print(table(["chain", "fused -O2", "-O0", "-O2 unfused", "NumPy", "vs -O0",
                 "vs -O2 unfused", "vs NumPy"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
