"""fft, compiled to wasm, against the original's golden output and a NumPy model of its arithmetic.

The NumPy model below follows the original (sonogram + mel crates) step by step in f32/f64; only
the libm cosf/sinf ports are shared with the kernel (they are compile-time tables), and they are
checked against NumPy's cos/sin here and, through the golden vector, against the original.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._audio_libm import cosf, sinf
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

PEER = Path("/work/shared/peer-suite")
WAV = PEER / "hotg-rune/integration-tests/run-pass/microspeech-up/up.wav"
GOLDEN = PEER / "golden/fft_up.npy"
F32 = np.float32
OUT = ("u32", [1, 1960])


def read_wav(path: Path, count: int) -> np.ndarray:
    """The first `count` samples as i16 [1, count], as the original's SOUND capability fed them."""
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        return np.frombuffer(wav.readframes(count), dtype="<i2").reshape(1, count)


def _frame_starts(n: int, bins: int, overlap: float) -> tuple[list[int], int]:
    step = int(F32(bins) * (F32(1.0) - F32(overlap)))
    length = 0
    while length + bins < n:
        length += step
    length = length + bins if length != n else n
    position = chunks = 0
    while position + bins <= length:
        position += step
        chunks += 1
    chunks -= position == length
    starts, j, ratio = [], F32(0.0), F32(F32(chunks) / F32(49))
    while j < F32(chunks):
        starts.append(int(j) * step)
        j = F32(j + ratio)
    return starts[:49], length


def _mel_matrix() -> np.ndarray:
    """The mel crate's 40 x 241 filter matrix (16 kHz, window 480), in f64."""
    def to_mel(hz: float) -> float:
        return 2595.0 * math.log10(1.0 + hz / 700.0)

    lo, hi = to_mel(16000 / 480), to_mel(8000.0)
    edges = [lo + (hi - lo) / 41 * i for i in range(42)]
    matrix = np.zeros((40, 241))
    for r in range(40):
        cols = [math.floor(700.0 * (10.0 ** (edges[r + d] / 2595.0) - 1.0) / 8000.0 * 241)
                for d in (0, 2)]
        width = max(cols[1] - cols[0], 1)
        for k in range(width):
            if cols[0] + k < 241:
                triangle = 1.0 - abs((k - (width - 1) / 2.0) / (width / 2.0))
                matrix[r, cols[0] + k] = triangle / width
    return matrix


def reference_fft(audio: np.ndarray, bins: int = 480, overlap: float = 0.6666667) -> np.ndarray:
    """The original's fft proc block in NumPy: u32 [1, 1960]."""
    samples = audio.reshape(-1).astype(F32)
    starts, length = _frame_starts(samples.size, bins, overlap)
    data = np.zeros(length + bins, dtype=F32)
    data[:samples.size] = samples
    size = 1 << max(1, (bins - 1).bit_length())
    n = np.arange(size, dtype=F32)
    window = F32(0.5) * (F32(1.0) - cosf((F32(2.0) * F32(math.pi) * n) / F32(size - 1)))
    frames = np.zeros((49, size), dtype=F32)
    for x, start in enumerate(starts):
        frames[x, :bins] = data[start:start + bins]
    bits = size.bit_length() - 1
    reverse = [int(format(i, f"0{bits}b")[::-1], 2) for i in range(size)]
    re = np.zeros_like(frames)
    im = np.zeros_like(frames)
    re[:, reverse] = frames * window
    seg = 2
    while seg <= size:
        half = seg // 2
        m = np.array([i + k for i in range(0, size, seg) for k in range(half)])
        angle = (F32(2.0) * F32(math.pi) * (-m.astype(F32))) / F32(seg)
        c, s = cosf(angle), sinf(angle)
        xr, xi = re[:, m + half], im[:, m + half]
        tr, ti = c * xr - s * xi, c * xi + s * xr
        ur, ui = re[:, m].copy(), im[:, m].copy()
        re[:, m], im[:, m] = ur + tr, ui + ti
        re[:, m + half], im[:, m + half] = ur - tr, ui - ti
        seg *= 2
    power = re * re + im * im
    rows = ((np.arange(241, dtype=F32) / F32(241)) * F32(size * 0.5)).astype(np.int64)
    spectrogram = power[:, rows].astype(np.float64).T  # [241 rows, 49 frames]
    matrix = _mel_matrix()
    mel = np.zeros((40, 49))
    for k in range(241):  # summed in row order, as nalgebra's gemv does
        mel += matrix[:, k:k + 1] * spectrogram[k]
    mel = np.sqrt(mel)
    low, high = mel.min(), mel.max()
    with np.errstate(invalid="ignore"):
        scaled = 65536.0 * (mel - low) / (high - low)
    return np.nan_to_num(scaled, nan=0.0).T.reshape(1, 1960).astype(np.uint32)


@pytest.fixture(scope="module")
def default_rune():
    return compile_pipeline("fft", {}, [("i16", [1, 16000])], [OUT])


def test_up_wav_matches_golden_bit_for_bit(default_rune):
    golden = np.load(GOLDEN)
    audio = read_wav(WAV, 16000)
    np.testing.assert_array_equal(run_kernel(default_rune, audio), golden)
    np.testing.assert_array_equal(reference_fft(audio), golden)  # the model is faithful too


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_audio_matches_model(default_rune, seed):
    rng = np.random.default_rng(seed)
    scale = [32767, 3000, 40][seed]
    audio = np.clip(rng.normal(0, scale, (1, 16000)), -32768, 32767).astype(np.int16)
    audio[0, :4] = [-32768, 32767, 0, -1]
    np.testing.assert_array_equal(run_kernel(default_rune, audio), reference_fft(audio))


def test_silence_gives_zeros(default_rune):
    # max == min: the original's 0/0 is NaN, which `as u32` turns into 0.
    got = run_kernel(default_rune, np.zeros((1, 16000), dtype=np.int16))
    np.testing.assert_array_equal(got, np.zeros((1, 1960), dtype=np.uint32))


@pytest.mark.parametrize(
    ("args", "shape"),
    [
        ({"bins": 256, "window_overlap": 0.5}, [1, 8000]),
        ({"bins": 512, "window_overlap": 0.75, "sample_rate": 8000}, [16000]),
        ({"bins": 100, "window_overlap": 0.0}, [2, 3000]),
        # 1024-point FFT: its last pass has two stages and the 510 bins used are not a whole
        # number of its 256-bin segments (powers sized by sink_extent: 512 bins)
        ({"bins": 600, "window_overlap": 0.5}, [1, 16000]),
        ({}, [1, 300]),  # shorter than one frame: every frame is the zero-padded start
    ],
)
def test_other_arguments_and_shapes_match_model(args, shape):
    rng = np.random.default_rng(len(shape) + shape[-1])
    audio = rng.integers(-20000, 20000, size=shape, dtype=np.int16)
    rune = compile_pipeline("fft", args, [("i16", shape)], [OUT])
    expected = reference_fft(audio, args.get("bins", 480), args.get("window_overlap", 0.6666667))
    np.testing.assert_array_equal(run_kernel(rune, audio), expected)


def test_libm_ports_are_within_one_ulp_of_numpy():
    angles = np.concatenate([
        (F32(2.0) * F32(math.pi) * np.arange(512, dtype=F32)) / F32(511),
        (F32(2.0) * F32(math.pi) * -np.arange(4096, dtype=F32)) / F32(2),
        np.linspace(-2000, 2000, 20001, dtype=F32),
        np.array([0.0, 1e-5, -1e-5, 0.7853981, 2.356194, 3.926990, 5.497787], dtype=F32),
    ])
    for port, exact in ((cosf, np.cos), (sinf, np.sin)):
        got = port(angles)
        want = exact(angles.astype(np.float64)).astype(F32)
        ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
        close_to_zero = np.abs(want) < 1e-6  # sign changes near zero: compare absolutely
        assert (ulps[~close_to_zero] <= 1).all()
        assert np.abs(got - want)[close_to_zero].max(initial=0.0) < 1e-7
        assert np.mean(ulps == 0) > 0.99


@pytest.mark.parametrize(
    ("args", "inputs", "outputs", "message"),
    [
        ({}, [("u8", [1, 16000])], [OUT], "fft takes i16 audio samples, not u8"),
        ({}, [("i16", [1, 16000])], [("u32", [1, 1000])], r"fft gives u32\[1, 1960\]"),
        ({}, [("i16", [1, 16000])], [("i32", [1, 1960])], r"fft gives u32\[1, 1960\]"),
        ({"window_overlap": 1.0}, [("i16", [1, 16000])], [OUT], "0 <= window_overlap < 1"),
        ({"bins": 1}, [("i16", [1, 16000])], [OUT], "hop of 0 samples"),
        ({}, [("i16", [1, 8000]), ("i16", [1, 8000])], [OUT], "takes 1 input"),
        ({"bin": 480}, [("i16", [1, 16000])], [OUT], "unknown argument `bin`"),
    ],
)
def test_bad_pipelines_are_diagnosed(args, inputs, outputs, message):
    with pytest.raises(DiagnosticError, match=message):
        run_passes(pipeline_module("fft", args, inputs, outputs), CompileOptions())
