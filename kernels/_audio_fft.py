"""A radix-2 decimation-in-time FFT written in IR, shared by the audio kernels (no ProcBlock here).

The caller scatters its windowed frame into `re`/`im` in bit-reversed order; `fft_in_place` then
runs the butterflies stage by stage in the textbook iterative order (segment lengths 2, 4, ...,
size; inside a segment, m from its start), X[m], X[m+h] = X[m] + w*X[m+h], X[m] - w*X[m+h] with
w*x computed as (c*xr - s*xi, c*xi + s*xr). The twiddle factors come from a table laid out
[stage][butterfly], so a kernel can reproduce another library's exact factors (`fft` copies the
original's f32 ones) or use accurate ones (`mel_spectrogram`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from xdsl.ir import SSAValue

# factor(n, m) -> (cos part, sin part) of the twiddle that multiplies X[m + n/2] in a segment of
# length n, m being the absolute index of the butterfly's upper element.
TwiddleFactor = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def is_power_of_two(value: int) -> bool:
    return value >= 2 and value & (value - 1) == 0


def bit_reversal(size: int) -> np.ndarray:
    """rev[i]: where sample i goes before the butterflies (size a power of two)."""
    bits = size.bit_length() - 1
    indices = np.arange(size)
    reversed_ = np.zeros(size, dtype=np.int64)
    for bit in range(bits):
        reversed_ |= ((indices >> bit) & 1) << (bits - 1 - bit)
    return reversed_.astype(np.int32)


def butterfly_indices(size: int) -> list[tuple[int, np.ndarray]]:
    """For each stage: its segment length n and the absolute m of each of its size/2 butterflies,
    in the order the IR visits them."""
    stages = []
    n = 2
    while n <= size:
        half = n // 2
        m = (np.arange(size // 2) // half) * n + np.arange(size // 2) % half
        stages.append((n, m))
        n *= 2
    return stages


def accurate_twiddles(n: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """exp(-2 pi i m / n) rounded once to f32 (the forward transform's factors)."""
    angle = 2.0 * math.pi * (m % n) / n
    return np.cos(angle).astype(np.float32), (-np.sin(angle)).astype(np.float32)


@dataclass(frozen=True)
class FftTables:
    size: int
    reversal: Buffer  # i32[size]
    cos: Buffer       # f32[stages * size/2]
    sin: Buffer       # f32[stages * size/2]


def fft_tables(b: KernelBuilder, size: int, factor: TwiddleFactor) -> FftTables:
    """Bake the bit-reversal permutation and every stage's twiddles into the rune."""
    cos_parts, sin_parts = [], []
    for n, m in butterfly_indices(size):
        c, s = factor(np.full(m.shape, n), m)
        cos_parts.append(c)
        sin_parts.append(s)
    return FftTables(
        size,
        b.table("fft_reversal", bit_reversal(size), "i32"),
        # A 1-point transform has no stages (and no twiddles: a placeholder entry).
        b.table("fft_cos", np.concatenate(cos_parts or [np.zeros(1)]), "f32"),
        b.table("fft_sin", np.concatenate(sin_parts or [np.zeros(1)]), "f32"),
    )


def fft_in_place(b: KernelBuilder, tables: FftTables, re: Buffer, im: Buffer) -> None:
    """Transform re/im[0:size] (already in bit-reversed order) in place, in f32."""
    size = tables.size
    for stage, (n, _) in enumerate(butterfly_indices(size)):
        half = n // 2
        with b.loop(size // n) as segment:
            start = b.mul_index(segment, n)
            first_twiddle = b.add_index(b.mul_index(segment, half), stage * (size // 2))
            with b.loop(half) as offset:
                upper = b.add_index(start, offset)
                lower = b.add_index(upper, half)
                twiddle = b.add_index(first_twiddle, offset)
                _butterfly(b, tables, re, im, upper, lower, twiddle)


STAGES_PER_PASS = 2  # consecutive stages per pass (radix-4; three spill registers: slower)


def fft_in_place_lanes(b: KernelBuilder, tables: FftTables, re: Buffer, im: Buffer,
                       lanes: int) -> None:
    """`lanes` (a power of two) transforms at once, interleaved (element i of transform l at
    i * lanes + l). Each pass's butterflies for all lanes are one loop over
    j = offset * lanes + lane: every data access is contiguous in j and the twiddles are those
    of butterfly offset j >> log2(lanes), so LLVM vectorises the loop across transforms (four
    f32 lanes). A pass covers up to STAGES_PER_PASS consecutive stages: the points they combine
    are loaded once, go through every stage's butterflies in registers and are stored once.
    Each lane's arithmetic is exactly the single transform's: every butterfly is the same
    operations on the same values, only independent butterflies are reordered."""
    count = len(butterfly_indices(tables.size))
    for first in range(0, count, STAGES_PER_PASS):
        _pass(b, tables, re, im, lanes, first, min(STAGES_PER_PASS, count - first))


def _pass(b: KernelBuilder, tables: FftTables, re: Buffer, im: Buffer, lanes: int, first: int,
          stages: int) -> None:
    """Stages first .. first + stages - 1 in one pass. With n = 2^(first + 1) (the first
    stage's segment length) and group length n 2^(stages - 1), each group's offset o < n/2
    names 2^stages points at o + m n/2; stage first + t pairs point m with m + 2^t (bit t of
    m clear), whose butterfly number is (position // n_t) n_t/2 + position % n_t."""
    size, half = tables.size, 1 << first
    group = half << stages  # points covered by one group
    points = 1 << stages
    with b.loop(size // group) as g:
        start = b.mul_index(b.mul_index(g, group), lanes)
        twiddle_base = b.mul_index(g, group // 2)
        with b.loop(half * lanes) as j:
            at = [b.add_index(b.add_index(start, j), m * half * lanes) for m in range(points)]
            values = [(b.load(re, a), b.load(im, a)) for a in at]
            offset = b.add_index(twiddle_base, _lane_shift(b, j, lanes))
            for t in range(stages):
                segment, step = 2 * half << t, 1 << t
                for m in range(points):
                    if m & step:
                        continue
                    position = m * half
                    butterfly = (position // segment) * (segment // 2) + position % segment
                    twiddle = b.add_index(offset, (first + t) * (size // 2) + butterfly)
                    values[m], values[m + step] = _butterfly_values(
                        b, tables, values[m], values[m + step], twiddle)
            for a, (xr, xi) in zip(at, values, strict=True):
                b.store(xr, re, a)
                b.store(xi, im, a)


def _lane_shift(b: KernelBuilder, j: SSAValue, lanes: int) -> SSAValue:
    """j >> log2(lanes): the butterfly offset of loop index j."""
    return b.to_index(b.shift_right(b.from_index(j), b.constant(lanes.bit_length() - 1, "i32")))


Complex = tuple[Scalar, Scalar]


def _butterfly_values(b: KernelBuilder, tables: FftTables, upper: Complex, lower: Complex,
                      twiddle: SSAValue) -> tuple[Complex, Complex]:
    """(upper + w lower, upper - w lower), w = tables[twiddle], exactly as _butterfly does."""
    c, s = b.load(tables.cos, twiddle), b.load(tables.sin, twiddle)
    (ur, ui), (xr, xi) = upper, lower
    tr = b.sub(b.mul(c, xr), b.mul(s, xi))
    ti = b.add(b.mul(c, xi), b.mul(s, xr))
    return (b.add(ur, tr), b.add(ui, ti)), (b.sub(ur, tr), b.sub(ui, ti))


def _butterfly(b: KernelBuilder, tables: FftTables, re: Buffer, im: Buffer, upper: SSAValue,
               lower: SSAValue, twiddle: SSAValue) -> None:
    """X[upper], X[lower] = X[upper] + w X[lower], X[upper] - w X[lower], w = tables[twiddle]."""
    c, s = b.load(tables.cos, twiddle), b.load(tables.sin, twiddle)
    xr, xi = b.load(re, lower), b.load(im, lower)
    tr = b.sub(b.mul(c, xr), b.mul(s, xi))
    ti = b.add(b.mul(c, xi), b.mul(s, xr))
    ur, ui = b.load(re, upper), b.load(im, upper)
    b.store(b.add(ur, tr), re, upper)
    b.store(b.add(ui, ti), im, upper)
    b.store(b.sub(ur, tr), re, lower)
    b.store(b.sub(ui, ti), im, lower)
