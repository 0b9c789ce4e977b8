"""A radix-2 decimation-in-time FFT written in IR, shared by the audio kernels (no ProcBlock here).

The caller scatters its windowed frame into `re`/`im` in bit-reversed order; `fft_in_place` then
runs the butterflies stage by stage in the textbook iterative order (segment lengths 2, 4, ...,
size; inside a segment, m from its start), X[m], X[m+h] = X[m] + w*X[m+h], X[m] - w*X[m+h] with
w*x computed as (c*xr - s*xi, c*xi + s*xr). The twiddle factors come from a table laid out
[stage][butterfly], so a kernel can reproduce another library's exact factors (`fft` copies the
original's f32 ones) or use accurate ones (`mel_spectrogram`). A caller whose data is finite may
pass `Shortcuts` to fft_in_place_lanes: real input (im never stored by the caller), multiplies by
exact 0/+-1 twiddle parts folded away, and only the bins it needs computed in the last stage,
handed to a sink instead of stored; all bit-exact (see Shortcuts).
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
# (Strings: importing this module reads nothing of NumPy, which runec defers to its first use.)
TwiddleFactor = Callable[["np.ndarray", "np.ndarray"], "tuple[np.ndarray, np.ndarray]"]


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
    cos_values: np.ndarray  # the same factors at compile time, to spot exact 0 and +-1
    sin_values: np.ndarray


def fft_tables(b: KernelBuilder, size: int, factor: TwiddleFactor) -> FftTables:
    """Bake the bit-reversal permutation and every stage's twiddles into the rune."""
    cos_parts, sin_parts = [], []
    for n, m in butterfly_indices(size):
        c, s = factor(np.full(m.shape, n), m)
        cos_parts.append(c)
        sin_parts.append(s)
    # A 1-point transform has no stages (and no twiddles: a placeholder entry).
    cos_values = np.concatenate(cos_parts or [np.zeros(1)]).astype(np.float32)
    sin_values = np.concatenate(sin_parts or [np.zeros(1)]).astype(np.float32)
    return FftTables(
        size,
        b.table("fft_reversal", bit_reversal(size), "i32"),
        b.table("fft_cos", cos_values, "f32"),
        b.table("fft_sin", sin_values, "f32"),
        cos_values,
        sin_values,
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

# A part of a complex value known at compile time to be an exact zero (its sign unknown): no
# instruction computes it.
Part = Scalar | None
Complex = tuple[Part, Part]
# Where the last pass hands each needed output: (interleaved index of X[k] lane l, X[k]).
Sink = Callable[[SSAValue, Complex], None]


@dataclass(frozen=True)
class Shortcuts:
    """Compile-time knowledge that lets fft_in_place_lanes skip arithmetic, bit-exactly.

    real_input: im holds exact zeros on entry (the caller need not store them; the first pass
    never loads im). exact_twiddles: multiplies by a twiddle part that is exactly 0, 1 or -1 in
    every butterfly of a slot are dropped (x*1 = x, x*(-1) = -x, x*0 = 0) and additions of a
    known zero too (x + 0 = x, 0 - x = -x). bins: only X[0 .. bins-1] are needed; the last
    pass computes only the butterflies they depend on and gives each to `sink` instead of
    storing it (indices up to sink_extent(size, bins) bins: size the sink's buffer by it).

    Why this is bit-exact: with finite operands, IEEE +, - and x round the exact real result,
    which depends only on the operands' real values; each identity above holds as real values
    and can differ from the table multiply only in the sign of a zero, so every intermediate
    equals (==) the full transform's, and |X|^2 = xr^2 + xi^2 (squares are never -0, and
    +0 + +0 = +0) is the same bits. Needs finite data (0 x inf is NaN): only for callers whose
    inputs cannot overflow (fft: i16 samples times a window <= 1, |X| <= 2^24)."""

    real_input: bool = False
    exact_twiddles: bool = False
    bins: int | None = None
    sink: Sink | None = None


def fft_in_place_lanes(b: KernelBuilder, tables: FftTables, re: Buffer, im: Buffer,
                       lanes: int, shortcuts: Shortcuts = Shortcuts(),
                       first_pass_done: bool = False) -> None:
    """`lanes` (a power of two) transforms at once, interleaved (element i of transform l at
    i * lanes + l). Each pass's butterflies for all lanes are one loop over
    j = offset * lanes + lane: every data access is contiguous in j and the twiddles are those
    of butterfly offset j >> log2(lanes), so LLVM vectorises the loop across transforms (four
    f32 lanes). A pass covers up to STAGES_PER_PASS consecutive stages: the points they combine
    are loaded once, go through every stage's butterflies in registers and are stored once.
    Each lane's arithmetic is exactly the single transform's: every butterfly is the same
    operations on the same values, only independent butterflies are reordered."""
    sinking = shortcuts.sink is not None and shortcuts.bins is not None
    passes = _passes(tables.size, sinking)
    for first, stages in passes[1:] if first_pass_done else passes:
        _pass(b, tables, re, im, lanes, first, stages, shortcuts,
              last=first + stages == len(butterfly_indices(tables.size)))


def _passes(size: int, sinking: bool) -> list[tuple[int, int]]:
    """(first stage, stage count) of each pass: STAGES_PER_PASS at a time; when the last pass
    only computes the bins a sink needs, a lone last stage joins the pass before it (its
    pruned butterflies leave fewer values live: 102.7 -> 100.0 µs for microspeech's fft,
    where a full three-stage pass spills)."""
    count = len(butterfly_indices(size))
    passes = [(first, min(STAGES_PER_PASS, count - first))
              for first in range(0, count, STAGES_PER_PASS)]
    if sinking and len(passes) >= 2 and passes[-1][1] == 1:
        first, stages = passes[-2]
        passes[-2:] = [(first, stages + 1)]
    return passes


def sink_extent(size: int, bins: int) -> int:
    """How many bins the last pass hands to a Shortcuts sink when `bins` are needed: whole
    offset ranges of every point that holds a needed bin, so up to bins rounded up to a
    multiple of the last pass's first segment half (the sink's buffer must cover them)."""
    first, _ = _passes(size, sinking=True)[-1]
    half = 1 << first
    return (bins - 1) // half * half + min(half, bins)


def _pass(b: KernelBuilder, tables: FftTables, re: Buffer, im: Buffer, lanes: int, first: int,
          stages: int, shortcuts: Shortcuts, last: bool) -> None:
    """Stages first .. first + stages - 1 in one pass. With n = 2^(first + 1) (the first
    stage's segment length) and group length n 2^(stages - 1), each group's offset o < n/2
    names 2^stages points at o + m n/2; stage first + t pairs point m with m + 2^t (bit t of
    m clear), whose butterfly number is (position // n_t) n_t/2 + position % n_t."""
    size, half = tables.size, 1 << first
    group = half << stages  # points covered by one group
    points = 1 << stages
    sink = shortcuts.sink if last and shortcuts.bins is not None else None
    needed = _needed_points(points, stages, half, shortcuts.bins if sink else None)
    offsets = min(half, shortcuts.bins) if sink and shortcuts.bins else half  # see sink_extent
    with b.loop(size // group) as g:
        start = b.mul_index(b.mul_index(g, group), lanes)
        twiddle_base = b.mul_index(g, group // 2)
        with b.loop(offsets * lanes) as j:
            at = [b.add_index(b.add_index(start, j), m * half * lanes) for m in range(points)]
            values: list[Complex] = [
                (b.load(re, a), None if shortcuts.real_input and first == 0 else b.load(im, a))
                if m in needed[0] else (None, None) for m, a in enumerate(at)]
            offset = b.add_index(twiddle_base, _lane_shift(b, j, lanes))
            values = stages_in_registers(b, tables, values, offset, first, stages, shortcuts,
                                         needed)
            for m, (a, value) in enumerate(zip(at, values, strict=True)):
                if sink is not None:
                    if m in needed[stages]:
                        sink(a, value)
                    continue
                b.store(_materialise(b, value[0]), re, a)
                b.store(_materialise(b, value[1]), im, a)


def stages_in_registers(b: KernelBuilder, tables: FftTables, values: list[Complex],
                        offset: SSAValue, first: int, stages: int, shortcuts: Shortcuts,
                        needed: list[set[int]] | None = None,
                        splat: int | None = None) -> list[Complex]:
    """Stages first .. first + stages - 1 on one group's 2^stages points (held in registers),
    twiddle of slot k at offset + k; `splat`: the points are vectors of that many transforms
    and each twiddle part is loaded once and repeated across their lanes."""
    size, half = tables.size, 1 << first
    group, points = half << stages, 1 << stages
    needed = needed or [set(range(points))] * (stages + 1)
    values = list(values)
    for t in range(stages):
        segment, step = 2 * half << t, 1 << t
        for m in range(points):
            if m & step or not {m, m + step} & needed[t + 1]:
                continue
            position = m * half
            butterfly = (position // segment) * (segment // 2) + position % segment
            slot = (first + t) * (size // 2) + butterfly
            twiddle = _Twiddle(b, tables, b.add_index(offset, slot),
                               _slot_indices(size, group, half, slot)
                               if shortcuts.exact_twiddles else None, splat)
            values[m], values[m + step] = _butterfly_values(
                b, twiddle, values[m], values[m + step], m + step in needed[t + 1])
    return values


def _needed_points(points: int, stages: int, half: int, bins: int | None) -> list[set[int]]:
    """needed[t]: the points whose values before stage t (t = stages: the outputs) are used;
    every output when bins is None, else the outputs m with m * half < bins and backwards
    through each stage's butterflies."""
    needed = [set(range(points))] * (stages + 1)
    if bins is None:
        return needed
    needed[stages] = {m for m in range(points) if m * half < bins}
    for t in reversed(range(stages)):
        step = 1 << t
        needed[t] = set(needed[t + 1])
        for m in range(points):
            if not m & step and {m, m + step} & needed[t + 1]:
                needed[t] |= {m, m + step}
    return needed


def _slot_indices(size: int, group: int, half: int, slot: int) -> np.ndarray:
    """Every twiddle index one butterfly slot of a pass reads (over groups and offsets)."""
    groups = np.arange(size // group)[:, None] * (group // 2)
    return (groups + np.arange(half)[None, :] + slot).ravel()


class _Twiddle:
    """One slot's twiddle: loaded from the tables, or, when every butterfly of the slot reads
    the same exact 0, 1 or -1 in a part, that constant (indices given), known at compile time."""

    def __init__(self, b: KernelBuilder, tables: FftTables, index: SSAValue,
                 indices: np.ndarray | None, splat: int | None = None) -> None:
        self.b, self.tables, self.index, self.splat = b, tables, index, splat
        self.cos = _exact_constant(tables.cos_values, indices)
        self.sin = _exact_constant(tables.sin_values, indices)

    def times(self, part: str, x: Part) -> Part:
        """(cos or sin part) * x, with the exact constants' identities."""
        constant = self.cos if part == "cos" else self.sin
        if x is None or constant == 0.0:
            return None
        if constant == 1.0:
            return x
        if constant == -1.0:
            return self.b.negate(x)
        table = self.tables.cos if part == "cos" else self.tables.sin
        if self.splat is None:
            return self.b.mul(self.b.load(table, self.index), x)
        factor = self.b.shuffle(self.b.load_vector(table, self.index, 1), [0] * self.splat)
        return self.b.mul(factor, x)


def _exact_constant(values: np.ndarray, indices: np.ndarray | None) -> float | None:
    """0.0, 1.0 or -1.0 if every factor at indices is exactly that (either sign of zero)."""
    if indices is None:
        return None
    picked = values[indices]
    for constant in (0.0, 1.0, -1.0):
        if np.all(picked == constant):
            return constant
    return None


def _plus(b: KernelBuilder, x: Part, y: Part) -> Part:
    if x is None:
        return y
    return x if y is None else b.add(x, y)


def _minus(b: KernelBuilder, x: Part, y: Part) -> Part:
    if y is None:
        return x
    return b.negate(y) if x is None else b.sub(x, y)


def _materialise(b: KernelBuilder, x: Part) -> Scalar:
    return b.constant(0.0, "f32") if x is None else x


def _lane_shift(b: KernelBuilder, j: SSAValue, lanes: int) -> SSAValue:
    """j >> log2(lanes): the butterfly offset of loop index j."""
    return b.to_index(b.shift_right(b.from_index(j), b.constant(lanes.bit_length() - 1, "i32")))


def _butterfly_values(b: KernelBuilder, w: _Twiddle, upper: Complex, lower: Complex,
                      both: bool) -> tuple[Complex, Complex]:
    """(upper + w lower, upper - w lower) as _butterfly computes them: tr = c xr - s xi,
    ti = c xi + s xr (the second output only when `both`)."""
    (ur, ui), (xr, xi) = upper, lower
    tr = _minus(b, w.times("cos", xr), w.times("sin", xi))
    ti = _plus(b, w.times("cos", xi), w.times("sin", xr))
    first = (_plus(b, ur, tr), _plus(b, ui, ti))
    if not both:
        return first, (None, None)
    return first, (_minus(b, ur, tr), _minus(b, ui, ti))


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
