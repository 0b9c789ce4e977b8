"""Integer 1x1 convolution (stride 1) as a register-blocked GEMM on wasm SIMD128.

out[p][n] = requant(bias[n] + sum_k (x[p][k] - input_zero) * w'[n][k]) over pixels p, with
w' = w - filter_zero. Blocks of PIXELS pixels x CHANNELS output channels keep all their sums
in vector registers through the whole depth, like XNNPACK's wasm SIMD `c2` GEMM kernels:

- each block's input rows are widened once to i16 minus the input zero point (depth padded
  to even with 0) into a scratch row per pixel;
- the weights are re-packed at compile time as i16, per block of 4 output channels and pair
  of depth indices k, k+1: [w'(n,k), w'(n,k+1)] for n = 4 channels (8 lanes);
- a pixel's pair (x[k], x[k+1]) splatted over 8 lanes, `i32x4.dot_i16x8_s` with that
  weight vector adds both products to 4 channels' sums at once: no horizontal sums.

Integer sums wrap modulo 2**32 in any order, so the result is the reference's bit for bit
(|x - zero|, |w'| <= 255: a pair's sum fits i32 as in the reference). Output channels are
padded to the block (zero weights and bias), and requantisation runs over the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rune.ir.kernel_builder import NUMPY_TYPES, Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import conv_int  # (conv_int imports this module: used at call time)
from xdsl.ir import SSAValue

#: Pixels per block (each holds CHANNELS // 4 accumulator vectors).
PIXELS = 2
#: Output channels per block (4 per i32x4 accumulator).
CHANNELS = 16
#: Depth pairs per iteration of the depth loop. Cranelift keeps a loop's carried sums in stack
#: slots (they live across the call in the slow path of the epoch check at each loop header),
#: so an iteration reloads and stores all 8: two pairs halve that (person_detection 630 ->
#: 554 us); four are slower again (LLVM hoists the 16 weight loads, which Cranelift spills).
UNROLL = 2
_LANES = 4  # i32 lanes of a vector
_WIDEN = 8  # input elements widened to i16 at once


def applies(b: KernelBuilder, depthwise: bool, taps: tuple[int, int], geometry: dict) -> bool:
    """A layer this kernel computes: a 1x1 convolution with stride 1 on a SIMD128 target."""
    return b.simd and not depthwise and taps == (1, 1) \
        and geometry["sh"] == geometry["sw"] == 1


def blocking(out_c: int) -> tuple[int, int]:
    """(pixels, channels) per block: 2 x 16 (8 sums), or 4 x 8 where 16 channels would be
    half padding (8-channel layers)."""
    return (PIXELS, CHANNELS) if out_c % CHANNELS == 0 or out_c > CHANNELS else (4, 8)


def pack_weights(weights: np.ndarray, channels: int) -> np.ndarray:
    """[out][in] offset-corrected weights -> i16 in the kernel's order: channel block, depth
    pair, 4-channel group, channel, k parity (output channels and depth padded with 0)."""
    out_c, depth = weights.shape
    padded = np.zeros((-(-out_c // channels) * channels, depth + depth % 2), np.int64)
    padded[:out_c, :depth] = weights
    blocks = padded.reshape(-1, channels // _LANES, _LANES, padded.shape[1] // 2, 2)
    return np.transpose(blocks, (0, 3, 1, 2, 4)).reshape(-1)


def pointwise(b: KernelBuilder, x: Buffer, out: Buffer, weights: np.ndarray,
              bias: np.ndarray, requant: conv_int.Requant, input_zero: int) -> None:
    """The layer, `weights` [out][in] minus the filter zero point, bias [out]: each pixel's
    input row widened to i16 minus the input zero point."""
    depth = weights.shape[1]
    zero = b.constant(input_zero, "i32")
    wide_zero = b.splat(input_zero, "i16", _WIDEN)

    def widen(pixel: SSAValue, rows: Buffer, at: int) -> None:
        source = b.mul_index(pixel, depth)
        whole = depth - depth % _WIDEN
        if whole:
            with b.loop(whole, step=_WIDEN) as k:
                value = b.load_vector(x, b.add_index(source, k), _WIDEN)
                b.store_vector(b.sub(b.convert(value, "i16"), wide_zero), rows,
                               b.add_index(k, at))
        if depth % _WIDEN:
            with b.loop(depth, whole) as k:
                value = b.sub(b.convert(b.load(x, b.add_index(source, k)), "i32"), zero)
                b.store(b.convert(value, "i16"), rows, b.add_index(k, at))

    gemm(b, out, weights, bias, requant, widen)


def gemm(b: KernelBuilder, out: Buffer, weights: np.ndarray, bias: np.ndarray,
         requant: conv_int.Requant, fill: Callable[[SSAValue, Buffer, int], None]) -> None:
    """out[p] = requant(bias + weights . row(p)) for every output pixel p, where
    fill(p, rows, at) writes row(p) (depth i16 values) to rows[at:]."""
    out_c, depth = weights.shape
    pixels = out.count // out_c
    per_block, channels = blocking(out_c)
    even = depth + depth % 2
    padded_c = -(-out_c // channels) * channels
    packed = b.table("packed", pack_weights(weights, channels), "i16")
    bias_table = b.table("bias", np.concatenate([bias, np.zeros(padded_c - out_c)]), "i32")
    rows = b.state("rows", per_block * even, "i16")
    direct = VectorRequant.of(b, requant, out, largest_sum(weights, bias)) \
        if out_c == padded_c else None
    acc = b.state("acc", per_block * padded_c, "i32") if direct is None else None
    columns = requant.columns(b) if direct is None else None

    def block(first: SSAValue, count: int) -> None:
        for m in range(count):  # the block's rows, once
            fill(b.add_index(first, m), rows, m * even)
            if depth % 2:
                b.store(b.constant(0, "i16"), rows, b.index(m * even + depth))
        with b.loop(padded_c, step=channels) as n:
            sums = _channel_block(b, n, count, even, packed, bias_table, rows, channels)
            groups = channels // _LANES
            for m in range(count):
                mine = sums[m * groups:(m + 1) * groups]
                if direct is not None:
                    pixel = b.mul_index(b.add_index(first, m), out_c)
                    direct.store(b, mine, n, out, b.add_index(pixel, n))
                    continue
                for g, total in enumerate(mine):
                    b.store_vector(total, acc, b.add_index(n, m * padded_c + g * _LANES))
        if direct is not None:
            return
        for m in range(count):  # requantise the real channels of the stored sums
            pixel = b.mul_index(b.add_index(first, m), out_c)
            with b.loop(out_c) as c:
                total = b.load(acc, b.add_index(c, m * padded_c))
                b.store(requant.apply(b, total, c, columns, out.element), out,
                        b.add_index(pixel, c))

    conv_int.in_blocks(b, pixels, per_block, block)


def _channel_block(b: KernelBuilder, n: SSAValue, count: int, even: int, packed: Buffer,
                   bias: Buffer, rows: Buffer, channels: int) -> list[Scalar]:
    """The sums of channels n .. n + channels for the block's `count` pixels (pixel-major, 4
    channels a vector), held in registers through the depth: UNROLL pairs per iteration,
    the pairs left over after the loop."""
    groups = channels // _LANES
    init = [b.load_vector(bias, b.add_index(n, g * _LANES), _LANES)
            for _ in range(count) for g in range(groups)]
    base = b.mul_index(n, even)  # the channel block's packed weights start at n * even

    def step(pair: SSAValue, sums: list[Scalar]) -> list[Scalar]:
        at = b.add_index(base, b.mul_index(pair, 2 * channels))
        weights = [b.load_vector(packed, b.add_index(at, g * 2 * _LANES), 2 * _LANES)
                   for g in range(groups)]
        k = b.mul_index(pair, 2)
        out = []
        for m in range(count):
            xs = b.shuffle(b.load_vector(rows, b.add_index(k, m * even), 2), [0, 1] * _LANES)
            out += [b.add(sums[m * groups + g], b.dot_i16x8(xs, weights[g]))
                    for g in range(groups)]
        return out

    pairs = even // 2
    whole = pairs - pairs % UNROLL

    def steps(i: SSAValue, sums: list[Scalar]) -> list[Scalar]:
        first = b.mul_index(i, UNROLL)
        for u in range(UNROLL):
            sums = step(b.add_index(first, u), sums)
        return sums

    sums = b.fold(whole // UNROLL, init, steps) if whole else init
    for pair in range(whole, pairs):
        sums = step(b.index(pair), sums)
    return sums


@dataclass(frozen=True)
class VectorRequant:
    """Requant on 4 channels' sums in a vector, for layers whose left shifts are uniform
    (wasm's vector shifts take one count; right shifts: see below): the same results as
    Requant.apply, lane by lane.

    With `folded`, RoundingDivideByPOT(y, r) of y = SRDHM(x, m) costs an add and a shift:
    nested floors compose, so it is floor((x*m + 2**30 + 2**(30+r)) / 2**31) - [y < 0],
    shifted right by r; and [y < 0] = [x < 0] for every multiplier but 2**30 (x = -1). That
    needs the sum y + 2**(r-1) to fit i32, which `of` proves from the layer's largest possible
    accumulator; else the compare-free form of the reference's remainder test.

    With `doubled` (twice the largest shifted accumulator fits i32), the sums are doubled
    before the multiply and the nudge with them: floor((2a) / 2**32) = floor(a / 2**31), so
    the result is the products' high words: a shuffle, where it was two i64 shifts and a
    shuffle (the doubling is one i32 shift, or none: folded into the left shift).

    Right shifts that differ by channel (int8 per-channel scales) take one shift R, the
    largest: a lane of channel c is first multiplied by 2**(R - r_c) (`scales`), so dividing
    by 2**R divides by 2**r_c exactly, when `of` proves the product fits i32; with `folded`,
    each channel's nudge 2**(30 + r_c) comes from a table (`nudges`)."""

    multipliers: Buffer
    left: int
    right: int
    zero: int
    limits: tuple[int, int]
    element: str
    folded: bool
    doubled: bool
    scales: Buffer | None = None  # 2**(R - r_c) per channel when the right shifts differ
    nudges: Buffer | None = None  # per channel, when they differ and `folded`

    @classmethod
    def of(cls, b: KernelBuilder, requant: conv_int.Requant, out: Buffer,
           bound: int) -> VectorRequant | None:
        """None unless the left shifts are uniform and, where the right shifts differ, every
        channel's scaled value provably fits i32; `bound`: the largest |accumulator|."""
        if len(set(requant.lefts)) != 1:
            return None
        left, right = requant.lefts[0], max(requant.rights)
        folded = min(requant.rights) > 0 and (1 << 30) not in requant.multipliers \
            and (bound << left) + (1 << right) + 2 < 1 << 31
        scales = nudges = None
        if len(set(requant.rights)) != 1:
            # |SRDHM| <= |x| * m / 2**31 + 1, plus the folded nudge 2**(r-1) and the sign
            high = ((bound << left) * max(requant.multipliers) >> 31) + (1 << right) + 2
            if high << (right - min(requant.rights)) >= 1 << 31:
                return None
            scales = b.table("scale", np.array([1 << (right - r) for r in requant.rights]),
                             "i32")
        # Read by simd.opaque_load, which LLVM cannot fold to constants (as it would in a
        # layer of one channel block, whose loop it unrolls): the i32 x i32 -> i64 products
        # stay sign-extended operands, i64x2.extmul_*_i32x4_s, not a full i64x2.mul (many
        # x86 instructions on Cranelift).
        table = b.table("multiplier", np.array(requant.multipliers), "i32")
        doubled = bound << (left + 1) < 1 << 31  # 2 * x << left fits i32
        if scales is not None and folded:
            nudges = b.table("nudge", np.array([((1 << 30) + (1 << (30 + r))) << doubled
                                                for r in requant.rights]), "i64")
        return cls(table, left, right, requant.zero, requant.limits, out.element, folded,
                   doubled, scales, nudges)

    def scaled(self, b: KernelBuilder, value: Scalar, channel: SSAValue) -> Scalar:
        """Channels channel .. channel + 4 of the i32x4 `value` requantised, with the output
        zero point added, not yet clamped."""
        splat = lambda v, element="i32": b.splat(v, element, _LANES)  # noqa: E731
        doubled = int(self.doubled)
        if self.left + doubled:
            value = b.shift_left(value, splat(self.left + doubled))
        sign = b.shift_right(value, splat(31)) if self.folded else None
        multiplier = b.load_vector(self.multipliers, channel, _LANES, opaque=True)
        wide = b.mul(b.convert(value, "i64"), b.convert(multiplier, "i64"))
        if self.nudges is not None:
            nudge = b.load_vector(self.nudges, channel, _LANES)
        else:
            nudge = splat(((1 << 30) + ((1 << (30 + self.right)) if self.folded else 0))
                          << doubled, "i64")
        wide = b.add(wide, nudge)
        if doubled:  # the high words: floor(2a / 2**32) = floor(a / 2**31)
            value = b.shuffle(b.reinterpret(wide, "i32", 2 * _LANES), [1, 3, 5, 7])
        else:
            value = b.convert(b.shift_right(wide, splat(31, "i64")), "i32")
        if sign is not None:
            value = b.add(value, sign)
        if self.scales is not None:  # channel c's 2**r_c division as one by 2**R
            value = b.mul(value, b.load_vector(self.scales, channel, _LANES, opaque=True))
        if sign is not None:
            value = b.shift_right(value, splat(self.right))
        elif self.right:  # RoundingDivideByPOT, compare-free: both sides lie in [0, 2**31)
            mask = (1 << self.right) - 1
            remainder = b.bit_and(value, splat(mask))
            negative = b.shift_right(Scalar(value.value, "u32"), splat(31, "u32"))
            threshold = b.add(splat(mask >> 1), Scalar(negative.value, "i32"))
            up = b.shift_right(Scalar(b.sub(threshold, remainder).value, "u32"),
                               splat(31, "u32"))
            value = b.add(b.shift_right(value, splat(self.right)), Scalar(up.value, "i32"))
        return b.add(value, splat(self.zero))

    def store(self, b: KernelBuilder, sums: list[Scalar], channel: SSAValue, out: Buffer,
              index: SSAValue) -> None:
        """out[index : index + 4 * len(sums)] = the requantised i32x4 sums of channels
        channel, channel + 4, ... (2 or 4 vectors): narrowed with saturation (the element's
        range, a clamp for free), then clamped to the activation's range where narrower."""
        values = [self.scaled(b, total, b.add_index(channel, i * _LANES))
                  for i, total in enumerate(sums)]
        halves = [b.narrow(values[i], values[i + 1], "i16") for i in range(0, len(values), 2)]
        lanes = 4 * len(sums)
        value = b.narrow(halves[0], halves[-1], self.element)
        low, high = (np.iinfo(NUMPY_TYPES[self.element]).min,
                     np.iinfo(NUMPY_TYPES[self.element]).max)
        if self.limits[0] > low:
            value = b.maximum(value, b.splat(self.limits[0], self.element, 16))
        if self.limits[1] < high:
            value = b.minimum(value, b.splat(self.limits[1], self.element, 16))
        if lanes < 16:
            value = b.shuffle(value, list(range(lanes)))
        b.store_vector(value, out, index)


def largest_sum(weights: np.ndarray, bias: np.ndarray) -> int:
    """The largest |accumulator| of [out][...] weights (minus their zero point) and bias over
    inputs minus their zero point (|x - zero| <= 255 for 8-bit inputs)."""
    per_channel = np.abs(weights.reshape(len(bias), -1)).sum(axis=1) * 255 + np.abs(bias)
    return int(per_channel.max())
