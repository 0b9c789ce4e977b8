"""fft: the original's microspeech spectrogram, i16 audio -> u32 [1, 1960] (49 frames x 40 mels).

What the original (sonogram + mel crates) computed, reproduced bit for bit:
frames of `bins` samples every trunc(bins * (1 - window_overlap)) samples, 49 of them picked by an
f32 counter; each zero-padded to a power of two, Hann-windowed (cos(2 pi n / (N-1)) from libm's
cosf), radix-2 FFT in f32 with libm's twiddles, |X|^2 in f32; 241 spectrogram rows taking FFT bin
trunc(f32(y / 241) * N/2); 40 triangular mel filters (f64, summed in row order); sqrt in f64;
trunc(65536 (v - min) / (max - min)) over the whole matrix. Everything that depends only on the
arguments (window, twiddles, frame starts, row-to-bin map, filters) is a compile-time table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._audio_fft import (
    STAGES_PER_PASS,
    Complex,
    FftTables,
    Shortcuts,
    bit_reversal,
    fft_in_place_lanes,
    fft_tables,
    sink_extent,
    stages_in_registers,
)
from rune.kernels._audio_libm import cosf, sinf
from rune.kernels._bounds import nonnegative_bounds
from rune.kernels._frame_plan import FRAMES, ROWS, FramePlan, FramePlanError, frame_plan
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

FILTERS = 40   # mel filters, fixed in the original
LANES = 4      # frames whose filterbank sums run side by side (two f64x2 vectors)
OUTPUT_SHAPE = (1, FRAMES * FILTERS)


@dataclass(frozen=True)
class Plan:
    """Everything the kernel needs that the arguments and input length decide."""

    fft_size: int
    frame_starts: np.ndarray   # first sample of each of the 49 frames
    frame_lengths: np.ndarray  # samples of each frame that come from the input (the rest are 0)
    row_bins: np.ndarray       # FFT bin behind each of the 241 spectrogram rows


def _framed(samples: int, bins: int, overlap: float) -> FramePlan:
    """Frame the input as the original did (kernels/_frame_plan.py, free of NumPy), or say why
    its arguments cannot work."""
    try:
        return frame_plan(samples, bins, overlap)
    except FramePlanError as exc:
        raise ProcBlockError(str(exc)) from None


def plan(samples: int, bins: int, overlap: float) -> Plan:
    """The frame plan as the kernel's tables want it."""
    p = _framed(samples, bins, overlap)
    return Plan(p.fft_size, np.array(p.frame_starts, dtype=np.int64),
                np.array(p.frame_lengths, dtype=np.int64), np.array(p.row_bins, dtype=np.int64))


def hann_window(size: int) -> np.ndarray:
    """sonogram's hann_function: 0.5 (1 - cosf(2 pi n / (size - 1))), all in f32."""
    n = np.arange(size, dtype=np.float32)
    angle = (np.float32(2.0) * np.float32(math.pi) * n) / np.float32(size - 1)
    return (np.float32(0.5) * (np.float32(1.0) - cosf(angle))).astype(np.float32)


def sonogram_twiddles(n: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sonogram's omega(n, -m): cosf/sinf of (2 pi (-m)) / n in f32, m absolute (not m mod n)."""
    angle = (np.float32(2.0) * np.float32(math.pi) * (-m.astype(np.float32))) / n.astype(np.float32)
    return cosf(angle), sinf(angle)


def mel_filters() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mel crate's 40 x 241 matrix for 16 kHz, window 480: (row, weight, offsets) where filter
    r owns entries offsets[r]:offsets[r+1]. Edges are mels linspaced from the Rayleigh frequency
    (16000/480) to Nyquist, mapped to rows by floor(hz / 8000 * 241); the last edge computes to
    241.00000000000006, so filter 39 is 30 rows wide."""
    def mel(hz: float) -> float:
        return 2595.0 * math.log10(1.0 + hz / 700.0)

    def hertz(m: float) -> float:
        return 700.0 * (math.pow(10.0, m / 2595.0) - 1.0)

    low, high = mel(16000 / 480), mel(8000.0)
    step = (high - low) / (FILTERS + 2 - 1)
    edges = [low + step * i for i in range(FILTERS + 2)]
    rows, weights, offsets = [], [], [0]
    for r in range(FILTERS):
        start = math.floor(hertz(edges[r]) / 8000.0 * ROWS)
        end = math.floor(hertz(edges[r + 2]) / 8000.0 * ROWS)
        width = max(end - start, 1)
        for k in range(width):
            if start + k < ROWS:
                rows.append(start + k)
                weights.append((1.0 - abs((k - (width - 1) / 2.0) / (width / 2.0))) / width)
        offsets.append(len(rows))
    return np.array(rows), np.array(weights), np.array(offsets)


class Fft(ProcBlock):
    name = "fft"
    summary = "microspeech spectrogram: i16 audio -> u32[1, 1960], 49 frames x 40 mel bins"
    arg_specs = (
        ArgSpec("sample_rate", int, default=16000, minimum=1,
                doc="accepted as the original did; its filters always assume 16 kHz"),
        ArgSpec("bins", int, default=480, minimum=1, maximum=1 << 16,
                doc="samples per frame (zero-padded to a power of two for the FFT)"),
        ArgSpec("window_overlap", float, default=0.6666667, minimum=0.0,
                doc="fraction of a frame shared with the next; in [0, 1)"),
        ArgSpec("precision", str, default="exact", choices=("exact", "relaxed"),
                doc="relaxed: the filterbank, sqrt and scaling in f32 instead of the "
                "original's f64 (runec --precision=relaxed)"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(
                f"fft takes 1 input and gives 1 output, not {len(inputs)} and {len(outputs)}")
        (source,), (result,) = inputs, outputs
        if source.element != "i16":
            raise ProcBlockError(f"fft takes i16 audio samples, not {source.element}")
        if result.element != "u32" or tuple(result.shape) != OUTPUT_SHAPE:
            raise ProcBlockError(
                f"fft gives u32[1, 1960] (49 frames x 40 mel bins), not "
                f"{result.element}[{', '.join(map(str, result.shape))}]")
        count = math.prod(source.shape)
        if count < 1:
            raise ProcBlockError("fft needs at least one audio sample")
        # without NumPy: a compile whose fft kernel is cached never imports it
        _framed(count, int(args["bins"]), float(args["window_overlap"]))  # type: ignore[arg-type]

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        (audio,), (result,) = inputs, outputs
        p = plan(audio.count, int(args["bins"]), float(args["window_overlap"]))  # type: ignore[arg-type]
        tables = fft_tables(b, p.fft_size, sonogram_twiddles)
        window = b.table("window", hann_window(p.fft_size), "f32")
        spare = -FRAMES % LANES  # the last group repeats the last frame in its spare lanes
        starts = b.table("frame_starts", np.append(p.frame_starts, [p.frame_starts[-1]] * spare),
                         "i32")
        lengths = b.table("frame_lengths",
                          np.append(p.frame_lengths, [p.frame_lengths[-1]] * spare), "i32")
        rows, weights, offsets = mel_filters()
        filter_bins = b.table("filter_bins", p.row_bins[rows], "i32")
        real = "f32" if args["precision"] == "relaxed" else "f64"
        filter_weights = b.table("filter_weights", weights, real)
        filter_offsets = b.table("filter_offsets", offsets, "i32")
        # Four frames at a time, interleaved ([element][lane]): one FFT over all four whose last
        # pass gives |X|^2 of only the bins the rows read ([bin][lane]), then the filterbank.
        re = b.state("re", p.fft_size * LANES, "f32")
        im = b.state("im", p.fft_size * LANES, "f32")
        groups = -(-FRAMES // LANES)
        used_bins = int(p.row_bins[rows].max()) + 1
        powers = b.state("powers", sink_extent(p.fft_size, used_bins) * LANES, "f32")
        mels = b.state("mels", groups * LANES * FILTERS, real)

        def power(at: SSAValue, x: Complex) -> None:
            xr, xi = (b.constant(0.0, "f32") if part is None else part for part in x)
            b.store(b.add(b.mul(xr, xr), b.mul(xi, xi)), powers, at)

        # Samples are i16 times a window in [0, 1]: finite, so the exact-constant shortcuts
        # are bit-exact (see Shortcuts).
        shortcuts = Shortcuts(real_input=True, exact_twiddles=True, bins=used_bins, sink=power)
        # Without SIMD128 (MCU targets) the vector code would be split into scalars: larger
        # than the scalar loading it replaces.
        fused = _fused_cuts(p, int(args["bins"])) if b.simd else None  # type: ignore[arg-type]
        with b.loop(groups) as group:
            if fused is not None:
                _load_with_first_pass(b, audio, tables, window, (re, im), starts, group,
                                      (fused, int(args["bins"])), shortcuts)  # type: ignore[arg-type]
            else:
                _load_frames(b, audio, tables, window, re, starts, lengths, group)
            fft_in_place_lanes(b, tables, re, im, LANES, shortcuts,
                               first_pass_done=fused is not None)
            _filterbank(b, powers, group, filter_bins, filter_weights, filter_offsets, mels, real)
        _normalise(b, mels, result)


def _filterbank(b: KernelBuilder, powers: Buffer, group: SSAValue, filter_bins: Buffer,
                filter_weights: Buffer, filter_offsets: Buffer, mels: Buffer, real: str) -> None:
    """sqrt(sum over the filter's rows, in row order, of weight * power) in `real` (f64 as the
    original; f32 when relaxed) for the group's
    LANES frames: one accumulator per frame, each summing exactly as a single frame would, the
    frames' chains side by side (SIMD across frames; no wait on a single f64 add chain)."""
    frames = [b.add_index(b.mul_index(group, LANES), lane) for lane in range(LANES)]
    with b.loop(FILTERS) as filter_:
        first = b.to_index(b.load(filter_offsets, filter_))
        last = b.to_index(b.load(filter_offsets, b.add_index(filter_, 1)))

        def accumulate(k, acc: list[Scalar]) -> list[Scalar]:
            row = b.mul_index(b.to_index(b.load(filter_bins, k)), LANES)
            weight = b.load(filter_weights, k)
            values = [b.convert(b.load(powers, b.add_index(row, lane)), real)
                      for lane in range(LANES)]
            return [b.add(a, b.mul(weight, v)) for a, v in zip(acc, values, strict=True)]

        totals = b.fold(last, [b.constant(0.0, real)] * LANES, accumulate, lower=first)
        for frame, total in zip(frames, totals, strict=True):
            b.store(b.sqrt(total), mels, b.add_index(b.mul_index(frame, FILTERS), filter_))


def _load_frames(b: KernelBuilder, audio: Buffer, tables: FftTables, window: Buffer,
                 re: Buffer, starts: Buffer, lengths: Buffer, group: SSAValue) -> None:
    """Window the group's LANES frames (input samples, then zeros) into re in bit-reversed
    order. Up to the shortest frame's length, element by element with the frames side by side
    (one contiguous store of the LANES values); the rest, usually just the zero padding, frame
    by frame: its remaining samples, then 0 * window as the original padded. No branch in any
    loop. im is not written: the FFT knows it is zero."""
    frames = [b.add_index(b.mul_index(group, LANES), lane) for lane in range(LANES)]
    first_samples = [b.to_index(b.load(starts, frame)) for frame in frames]
    shortest = b.load(lengths, frames[0])
    for frame in frames[1:]:
        shortest = b.minimum(shortest, b.load(lengths, frame))

    def put(i: SSAValue, lane: SSAValue | int, value: Scalar) -> None:
        target = b.mul_index(b.to_index(b.load(tables.reversal, i)), LANES)
        b.store(b.mul(value, b.load(window, i)), re, b.add_index(target, lane))

    def sample(start: SSAValue, i: SSAValue) -> Scalar:
        return b.convert(b.load(audio, b.add_index(start, i)), "f32")

    # With SIMD128, four samples of each frame at a time (i16x4 loads, converted and windowed
    # as f32x4), transposed into four [lane] vectors, each one contiguous store (was one
    # scalar store per sample); the rest (all of it without SIMD128) sample by sample.
    vectorised = b.index(0)
    if b.simd:
        blocks = b.to_index(b.shift_right(shortest, b.constant(2, "i32")))
        with b.loop(blocks) as block:
            i = b.mul_index(block, LANES)
            weights = b.load_vector(window, i, LANES)
            rows = [b.mul(b.convert(b.convert(
                b.load_vector(audio, b.add_index(start, i), LANES), "i32"), "f32"), weights)
                for start in first_samples]
            for k, column in enumerate(_transpose(b, rows)):
                target = b.to_index(b.load(tables.reversal, b.add_index(i, k)))
                b.store_vector(column, re, b.mul_index(target, LANES))
        vectorised = b.mul_index(blocks, LANES)
    with b.loop(b.to_index(shortest), lower=vectorised) as i:
        for lane, start in enumerate(first_samples):
            put(i, lane, sample(start, i))
    with b.loop(LANES) as lane:
        frame = b.add_index(b.mul_index(group, LANES), lane)
        start, end = b.to_index(b.load(starts, frame)), b.to_index(b.load(lengths, frame))
        with b.loop(end, lower=b.to_index(shortest)) as i:
            put(i, lane, sample(start, i))
        with b.loop(tables.size, lower=end) as i:
            put(i, lane, b.constant(0.0, "f32"))


def _fused_cuts(p: Plan, bins: int) -> list[tuple[int, int]] | None:
    """Where _load_with_first_pass applies: every frame `bins` samples long (no frame runs
    past the input) and a transform of at least 16 points; then the ranges of s (see there)
    within which each of the four points is all samples or all padding, each a multiple of
    four long. None where it does not apply."""
    size = p.fft_size
    if size < 16 or not (p.frame_lengths == bins).all():
        return None
    quarter = size // 4
    cuts = sorted({0, quarter, *(min(max(bins - o, 0), quarter) for o in _point_offsets(size))})
    if any(c % LANES for c in cuts):
        return None
    return [(low, high) for low, high in zip(cuts, cuts[1:], strict=False) if high > low]


def _point_offsets(size: int) -> list[int]:
    """The samples behind group g's four points of the first pass: bit-reversing 4g + m puts
    m's two bits, reversed, on top: sample rev(g) + offset[m]."""
    return [int(r) * (size // 4) for r in bit_reversal(4)]


def _load_with_first_pass(b: KernelBuilder, audio: Buffer, tables: FftTables, window: Buffer,
                          data: tuple[Buffer, Buffer], starts: Buffer, group: SSAValue,
                          framing: tuple[list[tuple[int, int]], int],
                          shortcuts: Shortcuts) -> None:
    """The frames' windowing fused with the FFT's first pass (stages 1 and 2), which reads the
    bit-reversed points 4g .. 4g + 3: the samples s + offset[m], s = rev(g). For four
    consecutive s at a time, each point's four samples of each frame are one i16x4 load,
    windowed in f32x4 and transposed into [lane] vectors; each group's four points then go
    through the first pass in registers (the same operations as the pass, stages_in_registers)
    and are stored once into re and im: nothing is stored before the pass and loaded again.
    Points wholly in the zero padding are known zeros (the original's 0 * window is +0, and
    the shortcuts' exactness argument covers known zeros)."""
    (re, im), (cuts, bins) = data, framing
    frames = [b.add_index(b.mul_index(group, LANES), lane) for lane in range(LANES)]
    first_samples = [b.to_index(b.load(starts, frame)) for frame in frames]
    offsets = _point_offsets(tables.size)
    zero = b.reinterpret(b.splat(0, "i32", LANES), "f32", LANES)

    def materialise(x: Scalar | None) -> Scalar:
        return zero if x is None else x

    for low, high in cuts:
        padding = [low + o >= bins for o in offsets]
        with b.loop((high - low) // LANES) as block:
            s = b.add_index(b.mul_index(block, LANES), low)
            columns: list[list[Scalar | None]] = []
            for o, pad in zip(offsets, padding, strict=True):
                if pad:
                    columns.append([None] * LANES)
                    continue
                at = b.add_index(s, o)
                weights = b.load_vector(window, at, LANES)
                columns.append(_transpose(b, [b.mul(b.convert(b.convert(
                    b.load_vector(audio, b.add_index(start, at), LANES), "i32"), "f32"), weights)
                    for start in first_samples]))
            for k in range(LANES):
                reversed_ = b.load(tables.reversal, b.add_index(s, k))
                g = b.to_index(b.shift_right(reversed_, b.constant(2, "i32")))
                points: list[Complex] = [(column[k], None) for column in columns]
                points = stages_in_registers(b, tables, points, b.mul_index(g, 2), 0,
                                             STAGES_PER_PASS, shortcuts, splat=LANES)
                for m, (xr, xi) in enumerate(points):
                    at = b.add_index(b.mul_index(g, 4 * LANES), m * LANES)
                    b.store_vector(materialise(xr), re, at)
                    b.store_vector(materialise(xi), im, at)


def _transpose(b: KernelBuilder, rows: list[Scalar]) -> list[Scalar]:
    """The columns of a 4 x 4 matrix given as four row vectors (eight shuffles)."""
    low = [b.shuffle(rows[r], [0, 4, 1, 5], rows[r + 1]) for r in (0, 2)]
    high = [b.shuffle(rows[r], [2, 6, 3, 7], rows[r + 1]) for r in (0, 2)]
    return [b.shuffle(pair[0], lanes, pair[1])
            for pair in (low, high) for lanes in ([0, 1, 4, 5], [2, 3, 6, 7])]


def _normalise(b: KernelBuilder, mels: Buffer, result: Buffer) -> None:
    """trunc(65536 (v - min) / (max - min)) as u32 over the first result.count values (the
    rest are the spare frames of the last group)."""
    real = mels.element
    # Square roots of sums of non-negative terms from +0: never NaN, never below +0.
    low, high = nonnegative_bounds(b, mels, result.count)
    span = b.sub(high, low)
    with b.loop(result.count) as i:
        scaled = b.div(b.mul(b.constant(65536.0, real), b.sub(b.load(mels, i), low)), span)
        b.store(b.convert(scaled, "u32"), result, i)
