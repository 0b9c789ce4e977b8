"""Fusion: preprocessing chains compiled fused (-O2) against unfused (-O0) and against NumPy,
all measured in this one process on the same inputs, NumPy on one thread.

Four chains: the image and audio chains of the fusion work, and two realistic front ends (a
640x480 u8 camera frame resized to 224x224, normalised, NCHW f32; i16 audio to a 40-band mel
spectrogram, standardised). `rune.run` is timed as an application calls it (input array in,
output copied out) and copy-free (`input_buffer` filled with the same input, then `run()`, with
`output_views`; the fill is timed too); the ratio to NumPy uses the copy-free figure.

Run: python benchmarks/bench_fusion.py [--json] (part of `make bench`).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before NumPy loads: single-threaded NumPy, as it runs

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from common import median_seconds, table  # noqa: E402
from rune.passes.registry import default_pipeline  # noqa: E402
from rune.runtime.host import Rune  # noqa: E402
from rune.tools.compiler import CompileOptions, compile_runefile  # noqa: E402

REPEATS = 200

# u8 HWC pixels (`x0`, shape SHAPE) -> FIRST (f32 [1, 224, 224, 3], named `pixels`) -> /255 ->
# ImageNet standardisation -> NCHW: the image chain, and the camera chain's tail after resize.
_TO_NCHW = """\
version: 1
image: runicos/base
pipeline:
  x0:
    capability: RAW
    outputs: [{type: u8, dimensions: SHAPE}]
  pixels:
    proc-block: FIRST
    inputs: [x0]
    outputs: [{type: f32, dimensions: [1, 224, 224, 3]}]
  unit:
    proc-block: affine
    inputs: [pixels]
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
IMAGE = _TO_NCHW.replace("SHAPE", "[1, 224, 224, 3]").replace("FIRST", "cast")
CAMERA = _TO_NCHW.replace("SHAPE", "[1, 480, 640, 3]").replace("FIRST", "resize")

# i16 samples -> f32 in [-1, 1): the start of both audio chains.
_I16_UNIT = """\
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
"""

AUDIO = _I16_UNIT + """\
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


MEL = _I16_UNIT + """\
  mel:
    proc-block: mel_spectrogram
    inputs: [unit]
    outputs: [{type: f32, dimensions: [1, 40, 101]}]
    args: {sample_rate: 16000, n_fft: 512, hop_length: 160, n_mels: 40}
  standard:
    proc-block: standardize
    inputs: [mel]
    outputs: [{type: f32, dimensions: [1, 40, 101]}]
    args: {mean: 0.5, std: 2.0}
  serial:
    out: serial
    inputs: [standard]
"""


def _bilinear_tables(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tf.image.resize's half-pixel bilinear source indices and weights, computed once."""
    src = (np.arange(size_out, dtype=np.float32) + np.float32(0.5)) * np.float32(
        size_in / size_out) - np.float32(0.5)
    lower = np.maximum(np.floor(src), 0).astype(np.intp)
    upper = np.minimum(np.ceil(src), size_in - 1).astype(np.intp)
    return lower, upper, (src - np.floor(src)).astype(np.float32)


ROWS, COLS = _bilinear_tables(480, 224), _bilinear_tables(640, 224)
# Columns with their 3 channels side by side, so every array below is 2-D with a long inner
# axis (an inner axis of 3 makes each NumPy operation an order of magnitude slower).
COLS3 = tuple((c[:, None] * 3 + np.arange(3)).ravel() for c in COLS[:2]) + (
    np.repeat(COLS[2], 3),)


def numpy_camera(x: np.ndarray) -> np.ndarray:
    (r0, r1, dy), (c0, c1, dx) = ROWS, COLS3
    image = x.reshape(480, 640 * 3)
    top_rows, bottom_rows = image[r0], image[r1]  # (224, 1920) u8 row copies
    tl, top = (np.take(top_rows, c, axis=1).astype(np.float32) for c in (c0, c1))
    bl, y = (np.take(bottom_rows, c, axis=1).astype(np.float32) for c in (c0, c1))
    top -= tl
    top *= dx
    top += tl  # tl + (tr - tl) dx, in place
    y -= bl
    y *= dx
    y += bl  # the bottom row's interpolation
    y -= top
    y *= dy[:, None]
    y += top
    y *= np.float32(0.003921569)
    y -= np.float32(0.485)
    y /= np.float32(0.229)
    return np.ascontiguousarray(y.reshape(224, 224, 3).transpose(2, 0, 1))[None]


def _slaney_mel(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels) (Slaney scale and norm), float32, built once."""
    step = math.log(6.4) / 27.0
    to_mel = lambda hz: np.where(hz >= 1000, 15 + np.log(np.maximum(hz, 1e-300) / 1000) / step,  # noqa: E731
                                 hz * 3 / 200)
    to_hz = lambda m: np.where(m >= 15, 1000 * np.exp(step * (m - 15)), m * 200 / 3)  # noqa: E731
    bins = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    edges = to_hz(np.linspace(to_mel(np.float64(0.0)), to_mel(np.float64(sample_rate / 2)),
                              n_mels + 2))
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / np.diff(edges)[:-1, None]
    falling = ramps[2:] / np.diff(edges)[1:, None]
    area = 2.0 / (edges[2:] - edges[:-2])
    return (np.maximum(0.0, np.minimum(rising, falling)) * area[:, None]).astype(np.float32)


MEL_BANK = _slaney_mel(16000, 512, 40)
HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(512) / 512)).astype(np.float32)


def numpy_mel(x: np.ndarray) -> np.ndarray:
    audio = np.pad(x.reshape(-1).astype(np.float32) * np.float32(0.000030517578), 256)
    frames = np.lib.stride_tricks.sliding_window_view(audio, 512)[::160]
    spectrum = np.fft.rfft(frames * HANN, axis=1)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    mel = MEL_BANK @ power.T  # (40, 101)
    return ((mel - np.float32(0.5)) / np.float32(2.0)).reshape(1, 40, 101)


def numpy_image(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float32)
    y *= np.float32(0.003921569)
    y -= np.float32(0.485)
    y /= np.float32(0.229)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def numpy_audio(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float32)
    y *= np.float32(0.000030517578)
    y -= np.float32(0.01)
    y /= np.float32(0.3)
    low, high = y.min(), y.max()
    y -= low
    y /= high - low
    return y


# -O2 with every pass but the two that merge stages: isolates what fusion itself buys.
NO_FUSION = default_pipeline("2").replace("fold-affine,", "").replace("fuse-elementwise,", "")


def compile_rune(text: str, options: CompileOptions, tmp: Path, **load) -> Rune:
    path = tmp / "Runefile.yml"
    path.write_text(text)
    return Rune.load(compile_runefile(path, "rune", options), **load)


def copy_free(rune: Rune, x: np.ndarray):
    """A run as an application that owns the input slot does it: fill it, run, read views."""
    buffer = rune.input_buffer("x0")

    def run() -> np.ndarray:
        buffer[...] = x
        return rune.run()[0].tensors[0].data

    return run


def measure(name: str, text: str, numpy_chain, x: np.ndarray, tmp: Path, repeats: int,
            tolerance: float) -> dict:
    options = {"fused": CompileOptions(opt_level="2"), "unfused": CompileOptions(opt_level="0"),
               "no fusion": CompileOptions(opt_level="2", passes=NO_FUSION)}
    runes = {key: compile_rune(text, o, tmp) for key, o in options.items()}
    fused_views = compile_rune(text, options["fused"], tmp, output_views=True)
    expected = numpy_chain(x)
    for rune in runes.values():
        got = rune.run({"x0": x})[0].tensors[0].data
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    free = copy_free(fused_views, x)
    np.testing.assert_array_equal(free(), runes["fused"].run({"x0": x})[0].tensors[0].data)
    times = {key: median_seconds(lambda r=rune: r.run({"x0": x})[0].tensors[0].data, repeats)
             for key, rune in runes.items()}
    times["copy-free"] = median_seconds(free, repeats)
    times["numpy"] = median_seconds(lambda: numpy_chain(x), repeats)
    us = {key: t * 1e6 for key, t in times.items()}
    return {"chain": name, "us": us, "vs_O0": us["unfused"] / us["fused"],
            "vs_unfused": us["no fusion"] / us["fused"],
            "vs_numpy": us["numpy"] / us["copy-free"],
            "vs_numpy_with_copies": us["numpy"] / us["fused"]}


def chains(rng: np.random.Generator) -> list[tuple]:
    """(name, Runefile, NumPy version, input, tolerance) of every chain measured."""
    image = rng.integers(0, 256, (1, 224, 224, 3), dtype=np.uint8)
    camera = rng.integers(0, 256, (1, 480, 640, 3), dtype=np.uint8)
    audio = rng.integers(-32768, 32768, (1, 16000), dtype=np.int16)
    speech = (np.sin(np.arange(16000) * 0.07) * 9000 + rng.normal(0, 900, 16000)).astype(
        np.int16).reshape(1, 16000)
    return [
        ("image u8 HWC->f32 /255 std NCHW", IMAGE, numpy_image, image, 1e-5),
        ("audio i16->f32 scale std normalize", AUDIO, numpy_audio, audio, 1e-5),
        ("camera u8 640x480 resize 224 std NCHW", CAMERA, numpy_camera, camera, 1e-4),
        ("speech i16 mel(40x101) std", MEL, numpy_mel, speech, 1e-3),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(name, text, chain, x, Path(tmp), args.repeats, tol)
                for name, text, chain, x, tol in chains(np.random.default_rng(0))]
    if args.json:
        print(json.dumps({"repeats": args.repeats, "chains": rows}, indent=2))
        return 0
    print(f"Fusion: median µs per run over {args.repeats} runs (whole rune.run, host included; "
          "NumPy single-threaded)")
    print(table(["chain", "fused -O2", "copy-free", "-O0", "-O2 unfused", "NumPy", "vs -O0",
                 "vs NumPy (copy-free)", "vs NumPy (copies)"],
                [[r["chain"], *(f"{r['us'][k]:.0f}" for k in ("fused", "copy-free", "unfused",
                                                                "no fusion", "numpy")),
                  f"{r['vs_O0']:.2f}x", f"{r['vs_numpy']:.2f}x",
                  f"{r['vs_numpy_with_copies']:.2f}x"] for r in rows]))
    slower = [r["chain"] for r in rows if r["vs_numpy"] < 1.0]
    print("goal: every chain faster than NumPy (copy-free) -- "
          + ("met" if not slower else f"NOT met for: {', '.join(slower)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
