"""mel_spectrogram and mfcc on f32 audio, with librosa's (>= 0.10) defaults and conventions.

mel_spectrogram = librosa.feature.melspectrogram: frames of n_fft samples every hop_length,
centred (padded by n_fft // 2 with zeros, or by reflection), periodic Hann window, |STFT|^power,
then a Slaney-scale mel filterbank with Slaney (area) normalisation. mfcc = librosa.feature.mfcc:
power_to_db (10 log10(max(amin, S)), floored at the global max minus top_db) then an orthonormal
DCT-II over the mel axis, keeping n_mfcc rows. Layout: input [..., n] -> output [..., rows, frames]
(every leading index is a separate signal). The FFT is radix-2 in f32 (n_fft a power of two); mel
sums and the DCT accumulate in f64.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._audio_fft import (
    accurate_twiddles,
    fft_in_place_lanes,
    fft_tables,
    is_power_of_two,
)
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

LIBROSA = "librosa >= 0.10 (feature.melspectrogram / feature.mfcc defaults)"
SPECTROGRAM_ARGS = (
    ArgSpec("sample_rate", int, default=22050, minimum=1, doc="samples per second"),
    ArgSpec("n_fft", int, default=2048, minimum=2, maximum=1 << 16,
            doc="frame length and FFT size; a power of two"),
    ArgSpec("hop_length", int, default=512, minimum=1, doc="samples between frame starts"),
    ArgSpec("n_mels", int, default=128, minimum=1, doc="mel bands"),
    ArgSpec("fmin", float, default=0.0, minimum=0.0, doc="lowest band edge, Hz"),
    ArgSpec("fmax", float, default=0.0, minimum=0.0,
            doc="highest band edge, Hz; 0 means sample_rate / 2"),
    ArgSpec("power", float, default=2.0, doc="exponent of |STFT|: 2 (power) or 1 (magnitude)"),
    ArgSpec("center", bool, default=True, doc="pad n_fft // 2 on both sides so frames centre"),
    ArgSpec("pad_mode", str, default="constant", choices=("constant", "reflect"),
            doc="padding when centred: zeros or reflection (librosa < 0.10 used reflect)"),
)
MFCC_ARGS = (
    ArgSpec("n_mfcc", int, default=20, minimum=1, doc="coefficients kept"),
    ArgSpec("amin", float, default=1e-10, doc="floor under the power before the log; > 0"),
    ArgSpec("top_db", float, default=80.0, minimum=0.0,
            doc="dB below the global peak where the log spectrum is floored; 0 disables"),
    ArgSpec("lifter", float, default=0.0, minimum=0.0,
            doc="cepstral lifter: row k *= 1 + lifter/2 sin(pi (k+1) / lifter); 0 disables"),
)
DB_PER_NEPER = 10.0 / math.log(10.0)  # 10 log10(x) = DB_PER_NEPER ln(x)


@dataclass(frozen=True)
class Spectrogram:
    """The spectrogram's arguments and the tensor layout they give for one input shape."""

    sample_rate: int
    n_fft: int
    hop: int
    n_mels: int
    fmin: float
    fmax: float
    power: float
    pad: int           # samples added before the first frame (0 unless centred)
    reflect: bool
    batch: int         # independent signals (product of the leading dimensions)
    samples: int       # samples per signal
    frames: int

    @staticmethod
    def from_args(args: Mapping[str, ArgValue], shape: Sequence[int]) -> Spectrogram:
        sample_rate, n_fft = int(args["sample_rate"]), int(args["n_fft"])  # type: ignore[arg-type]
        hop, n_mels = int(args["hop_length"]), int(args["n_mels"])  # type: ignore[arg-type]
        fmin = float(args["fmin"])  # type: ignore[arg-type]
        fmax = float(args["fmax"]) or sample_rate / 2.0  # type: ignore[arg-type]
        power = float(args["power"])  # type: ignore[arg-type]
        if not is_power_of_two(n_fft):
            raise ProcBlockError(f"n_fft must be a power of two (radix-2 FFT), got {n_fft}")
        if power not in (1.0, 2.0):
            raise ProcBlockError(f"power must be 1 (magnitude) or 2 (power), got {power}")
        if not fmin < fmax:
            raise ProcBlockError(f"fmin ({fmin} Hz) must be below fmax ({fmax} Hz)")
        if len(shape) < 1 or shape[-1] < 1:
            raise ProcBlockError("the audio needs a last dimension of at least one sample")
        samples, center = shape[-1], bool(args["center"])
        reflect = center and args["pad_mode"] == "reflect"
        pad = n_fft // 2 if center else 0
        if reflect and samples <= pad:
            raise ProcBlockError(
                f"reflect padding needs more than n_fft // 2 = {pad} samples, got {samples}")
        if not center and samples < n_fft:
            raise ProcBlockError(
                f"with center=false the audio needs at least n_fft = {n_fft} samples, "
                f"got {samples}")
        frames = 1 + (samples + 2 * pad - n_fft) // hop
        return Spectrogram(sample_rate, n_fft, hop, n_mels, fmin, fmax, power, pad, reflect,
                           math.prod(shape[:-1]), samples, frames)


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3.0)
    logarithmic = 15.0 + np.log(np.maximum(hz, 1e-300) / 1000.0) / (math.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, logarithmic, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3.0)
    logarithmic = 1000.0 * np.exp((math.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, logarithmic, linear)


def mel_filterbank(s: Spectrogram) -> np.ndarray:
    """librosa.filters.mel(htk=False, norm="slaney") as f32 [n_mels, n_fft/2 + 1]."""
    bins = np.arange(s.n_fft // 2 + 1) * (s.sample_rate / s.n_fft)
    edges = mel_to_hz(np.linspace(hz_to_mel(s.fmin), hz_to_mel(s.fmax), s.n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    triangles = np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)
    area = 2.0 / (edges[2:] - edges[:-2])
    return (triangles * area[:, None]).astype(np.float32)


def dct_matrix(n_mfcc: int, n_mels: int, lifter: float) -> np.ndarray:
    """Orthonormal DCT-II rows 0..n_mfcc-1 (scipy's norm="ortho"), liftered if asked."""
    k = np.arange(n_mfcc)[:, None]
    m = np.arange(n_mels)[None, :]
    basis = np.cos(math.pi * k * (2 * m + 1) / (2 * n_mels)) * math.sqrt(2.0 / n_mels)
    basis[0] /= math.sqrt(2.0)
    if lifter > 0:
        basis *= (1.0 + (lifter / 2.0) * np.sin(math.pi * (k + 1) / lifter))
    return basis


def _check_audio(name: str, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
                 s_args: Mapping[str, ArgValue], rows: str) -> Spectrogram:
    if len(inputs) != 1 or len(outputs) != 1:
        raise ProcBlockError(
            f"{name} takes 1 input and gives 1 output, not {len(inputs)} and {len(outputs)}")
    (source,), (result,) = inputs, outputs
    if source.element != "f32":
        raise ProcBlockError(f"{name} takes f32 audio, not {source.element}")
    s = Spectrogram.from_args(s_args, source.shape)
    height = int(s_args[rows])  # type: ignore[arg-type]
    expected = (*source.shape[:-1], height, s.frames)
    if result.element != "f32" or tuple(result.shape) != expected:
        raise ProcBlockError(
            f"{name} gives f32[{', '.join(map(str, expected))}] ({rows} x frames) for this "
            f"input, not {result.element}[{', '.join(map(str, result.shape))}]")
    return s


class MelSpectrogram(ProcBlock):
    name = "mel_spectrogram"
    summary = "mel spectrogram of f32 audio, librosa's defaults: [..., n] -> [..., n_mels, frames]"
    origin = LIBROSA
    arg_specs = SPECTROGRAM_ARGS

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        _check_audio(self.name, inputs, outputs, args, "n_mels")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        s = Spectrogram.from_args(args, inputs[0].shape)
        emit_mel_spectrogram(builder, s, inputs[0], outputs[0])


class Mfcc(ProcBlock):
    name = "mfcc"
    summary = "MFCCs of f32 audio, librosa's defaults: [..., n] -> [..., n_mfcc, frames]"
    origin = LIBROSA
    arg_specs = SPECTROGRAM_ARGS + MFCC_ARGS

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if float(args["amin"]) <= 0:  # type: ignore[arg-type]
            raise ProcBlockError(f"amin must be positive, got {args['amin']}")
        if int(args["n_mfcc"]) > int(args["n_mels"]):  # type: ignore[arg-type]
            raise ProcBlockError(
                f"n_mfcc ({args['n_mfcc']}) cannot exceed n_mels ({args['n_mels']})")
        _check_audio(self.name, inputs, outputs, args, "n_mfcc")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        s = Spectrogram.from_args(args, inputs[0].shape)
        mels = b.state("mels", s.batch * s.n_mels * s.frames, "f32")
        emit_mel_spectrogram(b, s, inputs[0], mels)
        floor = _power_to_db(b, mels, float(args["amin"]),  # type: ignore[arg-type]
                             float(args["top_db"]))  # type: ignore[arg-type]
        n_mfcc, lifter = int(args["n_mfcc"]), float(args["lifter"])  # type: ignore[arg-type]
        dct = b.table("dct", dct_matrix(n_mfcc, s.n_mels, lifter), "f64")
        result = outputs[0]
        with b.loop(s.batch) as signal, b.loop(n_mfcc) as k, b.loop(s.frames) as t:
            row = b.mul_index(k, s.n_mels)
            first_mel = b.mul_index(signal, s.n_mels)

            def accumulate(m, acc: list[Scalar]) -> list[Scalar]:
                at = b.add_index(b.mul_index(b.add_index(first_mel, m), s.frames), t)
                db = b.maximum(b.load(mels, at), floor)
                weight = b.load(dct, b.add_index(row, m))
                return [b.add(acc[0], b.mul(weight, b.convert(db, "f64")))]

            (total,) = b.fold(s.n_mels, [b.constant(0.0, "f64")], accumulate)
            out = b.add_index(b.mul_index(b.add_index(b.mul_index(signal, n_mfcc), k), s.frames), t)
            b.store(b.convert(total, "f32"), result, out)


def _power_to_db(b: KernelBuilder, mels: Buffer, amin: float, top_db: float) -> Scalar:
    """Replace every value by 10 log10(max(amin, v)) in place; return the floor (global max -
    top_db, or -inf when top_db is 0) that librosa's power_to_db clamps to."""
    def convert(i, acc: list[Scalar]) -> list[Scalar]:
        power = b.maximum(b.load(mels, i), b.constant(amin, "f32"))
        db = b.mul(b.log(power), b.constant(DB_PER_NEPER, "f32"))
        b.store(db, mels, i)
        return [b.maximum(acc[0], db)]

    (peak,) = b.fold(mels.count, [b.constant(-math.inf, "f32")], convert)
    if top_db <= 0:
        return b.constant(-math.inf, "f32")
    return b.sub(peak, b.constant(top_db, "f32"))


LANES = 4  # frames transformed side by side, interleaved ([element][lane]): f32x4 butterflies


def emit_mel_spectrogram(b: KernelBuilder, s: Spectrogram, audio: Buffer, result: Buffer) -> None:
    """result[signal, mel, frame] (f32) for every signal of `audio`, four frames at a time.

    Each frame of n_fft real samples goes through one complex FFT of half the size: sample
    pairs (x[2n], x[2n+1]) are the real and imaginary parts of z[n], and the spectrum is
    X[k] = E[k] + W^k O[k] with E, O the transforms of the even and odd samples, recovered from
    Z[k] and conj(Z[M - k]) (M = n_fft / 2, W = exp(-2 pi i / n_fft)). A group's four frames
    share that FFT, interleaved ([element][lane], fft_in_place_lanes), so LLVM vectorises
    every stage across frames; |X|^2 is computed for the four lanes side by side, and the
    filterbank keeps the four frames' f64 sums side by side. The spare lanes of the last group
    repeat its last frame (and store the same values again)."""
    half = s.n_fft // 2
    tables = fft_tables(b, half, accurate_twiddles)
    n = np.arange(s.n_fft)
    window = 0.5 - 0.5 * np.cos(2.0 * math.pi * n / s.n_fft)
    even_window = b.table("even_window", window[0::2], "f32")
    odd_window = b.table("odd_window", window[1::2], "f32")
    k = np.arange(half + 1)
    twiddle_re = b.table("rfft_cos", np.cos(2.0 * math.pi * k / s.n_fft), "f32")
    twiddle_im = b.table("rfft_sin", -np.sin(2.0 * math.pi * k / s.n_fft), "f32")
    weights = mel_filterbank(s)
    mel_of, bin_of = np.nonzero(weights)  # row-major: each mel's bins, ascending
    filter_bins = b.table("filter_bins", bin_of * LANES, "i32")  # [bin][lane] offsets
    filter_weights = b.table("filter_weights", weights[mel_of, bin_of], "f32")
    offsets = np.searchsorted(mel_of, np.arange(s.n_mels + 1))
    filter_offsets = b.table("filter_offsets", offsets, "i32")
    re = b.state("re", half * LANES, "f32")
    im = b.state("im", half * LANES, "f32")
    spectrum = b.state("spectrum", (half + 1) * LANES, "f32")
    groups = -(-s.frames // LANES)

    with b.loop(s.batch) as signal, b.loop(groups) as group:
        base = b.mul_index(signal, s.samples)
        last = b.from_index(b.index(s.frames - 1))
        frames = [b.to_index(b.minimum(b.from_index(b.add_index(b.mul_index(group, LANES), lane)),
                                       last)) for lane in range(LANES)]
        with b.loop(LANES) as lane:
            frame = b.minimum(b.from_index(b.add_index(b.mul_index(group, LANES), lane)), last)
            first = b.sub(b.mul(frame, b.constant(s.hop, "i32")), b.constant(s.pad, "i32"))
            with b.loop(half) as i:
                even = b.add(first, b.from_index(b.mul_index(i, 2)))
                target = b.add_index(b.mul_index(b.to_index(b.load(tables.reversal, i)), LANES),
                                     lane)
                for position, part, taper in ((even, re, even_window),
                                              (b.add(even, b.constant(1, "i32")), im, odd_window)):
                    sample = _padded_sample(b, s, audio, base, position)
                    b.store(b.mul(sample, b.load(taper, i)), part, target)
        fft_in_place_lanes(b, tables, re, im, LANES)
        _half_spectrum_power(b, s, re, im, twiddle_re, twiddle_im, spectrum)
        with b.loop(s.n_mels) as mel:
            lower = b.to_index(b.load(filter_offsets, mel))
            upper = b.to_index(b.load(filter_offsets, b.add_index(mel, 1)))

            def accumulate(j, acc: list[Scalar]) -> list[Scalar]:
                at = b.to_index(b.load(filter_bins, j))
                weight = b.load(filter_weights, j)
                return [b.add(a, b.convert(b.mul(weight, b.load(spectrum, b.add_index(at, lane))),
                                           "f64"))
                        for lane, a in enumerate(acc)]

            totals = b.fold(upper, [b.constant(0.0, "f64")] * LANES, accumulate, lower=lower)
            row = b.mul_index(b.add_index(b.mul_index(signal, s.n_mels), mel), s.frames)
            for frame, total in zip(frames, totals, strict=True):
                b.store(b.convert(total, "f32"), result, b.add_index(row, frame))


def _half_spectrum_power(b: KernelBuilder, s: Spectrogram, re: Buffer, im: Buffer,
                         twiddle_re: Buffer, twiddle_im: Buffer, spectrum: Buffer) -> None:
    """spectrum[k][lane] = |X[k]|^power for k in 0..n_fft/2 from the half-size transform Z:
    with Z[k] = (a, b), Z[(M - k) mod M] = (c, d) and W^k = (wr, wi),
    2X[k] = (a + c + wr (b + d) - wi (c - a), b - d + wr (c - a) + wi (b + d)), so
    |X|^2 = |2X|^2 / 4. The four lanes are written out side by side (contiguous [k][lane]
    vectors for SLP)."""
    half = s.n_fft // 2
    mask = b.constant(half - 1, "i32")
    with b.loop(half + 1) as k:
        upper = b.mul_index(b.to_index(b.bit_and(b.from_index(k), mask)), LANES)
        mirror = b.sub(b.constant(half, "i32"), b.from_index(k))
        lower = b.mul_index(b.to_index(b.bit_and(mirror, mask)), LANES)
        wr, wi = b.load(twiddle_re, k), b.load(twiddle_im, k)
        quarter = b.constant(0.25, "f32")
        for lane in range(LANES):
            at, mirrored = b.add_index(upper, lane), b.add_index(lower, lane)
            a, bi = b.load(re, at), b.load(im, at)
            c, d = b.load(re, mirrored), b.load(im, mirrored)
            total, diff = b.add(bi, d), b.sub(c, a)
            xr = b.sub(b.add(b.add(a, c), b.mul(wr, total)), b.mul(wi, diff))
            xi = b.add(b.add(b.sub(bi, d), b.mul(wr, diff)), b.mul(wi, total))
            power = b.mul(b.add(b.mul(xr, xr), b.mul(xi, xi)), quarter)
            b.store(power if s.power == 2.0 else b.sqrt(power), spectrum,
                    b.add_index(b.mul_index(k, LANES), lane))


def _padded_sample(b: KernelBuilder, s: Spectrogram, audio: Buffer, base: SSAValue,
                   position: Scalar) -> Scalar:
    """audio[base + position] with position outside [0, samples) padded by zeros or reflection."""
    if s.reflect:
        zero, last = b.constant(0, "i32"), b.constant(s.samples - 1, "i32")
        position = b.select(b.compare("lt", position, zero), b.negate(position), position)
        position = b.select(b.compare("gt", position, last),
                            b.sub(b.constant(2 * (s.samples - 1), "i32"), position), position)
        return b.load(audio, b.add_index(base, b.to_index(position)))
    # One unsigned comparison: a negative position wraps to a huge u32.
    inside = b.compare("lt", b.convert(position, "u32"), b.constant(s.samples, "u32"))
    (value,) = b.if_else(
        inside,
        lambda: [b.load(audio, b.add_index(base, b.to_index(position)))],
        lambda: [b.constant(0.0, "f32")],
    )
    return value
