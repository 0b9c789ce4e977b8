"""mel_spectrogram and mfcc, compiled to wasm, against librosa's formulas in NumPy (f64).

Tolerances (the kernels run a radix-2 FFT in f32): mel values within 1e-4 relative, plus 1e-6 of
the frame's peak for bands far below it (f32 FFT round-off is ~1e-7 of the frame's peak); MFCCs
within 1e-4 relative plus 1e-5 of the largest coefficient.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

LIBROSA_DEFAULTS = {"sample_rate": 22050, "n_fft": 2048, "hop_length": 512, "n_mels": 128,
                    "fmin": 0.0, "fmax": 0.0, "power": 2.0, "center": True,
                    "pad_mode": "constant"}


def hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    step = math.log(6.4) / 27.0
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-12) / 1000.0) / step,
                    hz * 3.0 / 200.0)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    step = math.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(step * (mel - 15.0)), mel * 200.0 / 3.0)


def reference_mel(audio: np.ndarray, **overrides) -> np.ndarray:
    """librosa.feature.melspectrogram(y, sr, n_fft, hop_length, window="hann", center, pad_mode,
    power, n_mels, fmin, fmax, htk=False, norm="slaney") in f64: [..., n_mels, frames]."""
    a = {**LIBROSA_DEFAULTS, **overrides}
    n_fft, hop, sr = a["n_fft"], a["hop_length"], a["sample_rate"]
    y = audio.astype(np.float64)
    if a["center"]:
        y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode=a["pad_mode"])
    frames = 1 + (y.shape[-1] - n_fft) // hop
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    stacked = np.stack([y[..., t * hop:t * hop + n_fft] for t in range(frames)], axis=-1)
    spectrum = np.abs(np.fft.rfft(stacked * window[:, None], axis=-2)) ** a["power"]
    fmax = a["fmax"] or sr / 2.0
    edges = mel_to_hz(np.linspace(hz_to_mel(a["fmin"]), hz_to_mel(fmax), a["n_mels"] + 2))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / np.diff(edges)[:-1, None]
    upper = ramps[2:] / np.diff(edges)[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return np.einsum("mf,...ft->...mt", weights, spectrum)


def reference_mfcc(audio: np.ndarray, n_mfcc=20, amin=1e-10, top_db=80.0, lifter=0.0,
                   **overrides) -> np.ndarray:
    """librosa.feature.mfcc: power_to_db(ref=1) then scipy's orthonormal DCT-II, first n_mfcc."""
    db = 10.0 * np.log10(np.maximum(amin, reference_mel(audio, **overrides)))
    if top_db:
        db = np.maximum(db, db.max() - top_db)  # one peak over everything, batch included
    n = db.shape[-2]
    k, m = np.arange(n_mfcc)[:, None], np.arange(n)[None, :]
    dct = np.cos(np.pi * k * (2 * m + 1) / (2 * n)) * np.where(k == 0, math.sqrt(1 / n),
                                                               math.sqrt(2 / n))
    if lifter:
        dct = dct * (1 + (lifter / 2) * np.sin(np.pi * (k + 1) / lifter))
    return np.einsum("km,...mt->...kt", dct, db)


def frames_of(samples: int, n_fft: int, hop: int, center: bool = True) -> int:
    return 1 + (samples + (n_fft // 2) * 2 * center - n_fft) // hop


def chirp(samples: int, sr: int, seed: int = 0) -> np.ndarray:
    t = np.arange(samples) / sr
    noise = np.random.default_rng(seed).standard_normal(samples)
    return (0.5 * np.sin(2 * np.pi * (200 + 0.2 * sr * t) * t) + 1e-4 * noise).astype(np.float32)


def run(kernel: str, args: dict, audio: np.ndarray, rows: int) -> np.ndarray:
    a = {**LIBROSA_DEFAULTS, **args}
    out_shape = [*audio.shape[:-1], rows,
                 frames_of(audio.shape[-1], a["n_fft"], a["hop_length"], a["center"])]
    rune = compile_pipeline(kernel, args, [("f32", list(audio.shape))], [("f32", out_shape)])
    return run_kernel(rune, audio)


def assert_mel_close(got: np.ndarray, expected: np.ndarray, power: float) -> float:
    """The tolerance above; returns the largest relative error within 60 dB of a frame's peak."""
    assert got.shape == expected.shape
    peak = expected.max(axis=-2, keepdims=True)
    error = np.abs(got - expected)
    assert (error <= 1e-4 * np.abs(expected) + 1e-6 * peak).all(), float((error / peak).max())
    near = expected >= 10.0 ** (-3.0 * power) * peak  # 60 dB in power or in magnitude
    return float((error[near] / expected[near]).max())


MEL_CASES = [
    ({}, "noise", [22050]),  # librosa's defaults, one second at 22.05 kHz
    ({"sample_rate": 16000, "n_fft": 512, "hop_length": 160, "n_mels": 40, "fmin": 20.0,
      "fmax": 7600.0}, "chirp", [16000]),
    ({"sample_rate": 8000, "n_fft": 256, "hop_length": 64, "n_mels": 64, "pad_mode": "reflect",
      "power": 1.0}, "chirp", [2, 4000]),
    ({"sample_rate": 16000, "n_fft": 1024, "hop_length": 333, "n_mels": 80, "center": False},
     "noise", [1, 5000]),
    # Tiny transforms (the real-input FFT runs at half the size: 2 and 4 points), frame counts
    # that are not a multiple of the four lanes (spare lanes), and a single frame.
    ({"sample_rate": 8000, "n_fft": 4, "hop_length": 2, "n_mels": 2}, "chirp", [2, 9]),
    ({"sample_rate": 8000, "n_fft": 8, "hop_length": 3, "n_mels": 3, "power": 1.0}, "noise",
     [13]),
    ({"sample_rate": 8000, "n_fft": 64, "hop_length": 64, "n_mels": 8, "center": False},
     "chirp", [64]),
]


def _audio(kind: str, shape: list[int], sr: int) -> np.ndarray:
    if kind == "chirp":
        return np.stack([chirp(shape[-1], sr, i) for i in range(math.prod(shape[:-1]))]
                        ).reshape(shape)
    return (0.1 * np.random.default_rng(5).standard_normal(shape)).astype(np.float32)


@pytest.mark.parametrize(("args", "kind", "shape"), MEL_CASES)
def test_mel_spectrogram_matches_librosa_formulas(args, kind, shape):
    a = {**LIBROSA_DEFAULTS, **args}
    audio = _audio(kind, shape, a["sample_rate"])
    got = run("mel_spectrogram", args, audio, a["n_mels"])
    assert assert_mel_close(got, reference_mel(audio, **args), a["power"]) < 1e-4


def test_two_point_transform():
    """n_fft = 2 (a 1-point half-size FFT, no stages): its two bins sit on the filters' zero
    ends, so every value is 0, as librosa's are."""
    args = {"sample_rate": 8000, "n_fft": 2, "hop_length": 1, "n_mels": 1}
    audio = _audio("noise", [6], 8000)
    got = run("mel_spectrogram", args, audio, 1)
    expected = reference_mel(audio, **args)
    assert got.shape == expected.shape == (1, 7)
    np.testing.assert_array_equal(got, expected.astype(np.float32))


@pytest.mark.parametrize(
    ("args", "kind", "shape"),
    [
        ({}, "noise", [22050]),
        ({"sample_rate": 16000, "n_fft": 512, "hop_length": 160, "n_mels": 40, "n_mfcc": 13,
          "fmin": 20.0, "fmax": 7600.0, "lifter": 22.0}, "chirp", [16000]),
        ({"sample_rate": 8000, "n_fft": 256, "hop_length": 128, "n_mels": 32, "n_mfcc": 32,
          "top_db": 0.0, "amin": 1e-5, "pad_mode": "reflect"}, "chirp", [3000]),
        ({"sample_rate": 8000, "n_fft": 256, "hop_length": 128, "n_mels": 32}, "chirp",
         [2, 3000]),
    ],
)
def test_mfcc_matches_librosa_formulas(args, kind, shape):
    a = {**LIBROSA_DEFAULTS, "n_mfcc": 20, **args}
    audio = _audio(kind, shape, a["sample_rate"])
    if len(shape) == 2:
        audio[1] *= 1e-3  # a quiet second channel: the top_db floor is the loud one's
    got = run("mfcc", args, audio, a["n_mfcc"])
    expected = reference_mfcc(audio, **args)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_silence():
    audio = np.zeros(4096, dtype=np.float32)
    args = {"sample_rate": 16000, "n_fft": 512, "hop_length": 256, "n_mels": 20, "n_mfcc": 4}
    mel_args = {k: v for k, v in args.items() if k != "n_mfcc"}
    np.testing.assert_array_equal(run("mel_spectrogram", mel_args, audio, 20), 0.0)
    got = run("mfcc", args, audio, 4)  # every band at amin = -100 dB: only c0 is non-zero
    np.testing.assert_allclose(got[0], -100.0 * math.sqrt(20), rtol=1e-5)
    np.testing.assert_allclose(got[1:], 0.0, atol=1e-3)


@pytest.mark.parametrize(
    ("kernel", "args", "inputs", "outputs", "message"),
    [
        ("mel_spectrogram", {"n_fft": 500}, [("f32", [4000])], [("f32", [128, 8])],
         "power of two"),
        ("mel_spectrogram", {"power": 3.0}, [("f32", [4000])], [("f32", [128, 8])],
         "power must be 1"),
        ("mel_spectrogram", {}, [("f32", [4000])], [("f32", [128, 9])],
         r"gives f32\[128, 8\] \(n_mels x frames\)"),
        ("mel_spectrogram", {}, [("i16", [4000])], [("f32", [128, 8])], "takes f32 audio"),
        ("mel_spectrogram", {"pad_mode": "reflect"}, [("f32", [1000])], [("f32", [128, 2])],
         "more than n_fft // 2"),
        ("mel_spectrogram", {"center": False}, [("f32", [1000])], [("f32", [128, 1])],
         "at least n_fft"),
        ("mel_spectrogram", {"fmin": 9000.0, "fmax": 8000.0}, [("f32", [4000])],
         [("f32", [128, 8])], "must be below fmax"),
        ("mel_spectrogram", {"pad_mode": "edge"}, [("f32", [4000])], [("f32", [128, 8])],
         "must be one of constant, reflect"),
        ("mfcc", {"n_mfcc": 200}, [("f32", [4000])], [("f32", [200, 8])], "cannot exceed"),
        ("mfcc", {"amin": 0.0}, [("f32", [4000])], [("f32", [20, 8])], "amin must be positive"),
    ],
)
def test_bad_pipelines_are_diagnosed(kernel, args, inputs, outputs, message):
    with pytest.raises(DiagnosticError, match=message):
        run_passes(pipeline_module(kernel, args, inputs, outputs), CompileOptions())
