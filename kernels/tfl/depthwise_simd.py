"""Integer DEPTHWISE_CONV_2D (multiplier 1) with channels in vector lanes, on SIMD128.

Each output pixel, 8 channels at a time: each tap's 8 input bytes are widened to i16 minus the
input zero point (0 for a tap outside the input, the taps the reference skips: its address is
clamped and its vector selected to 0); two taps' vectors interleaved (channel-major:
[x(c,t), x(c,t+1)] for 4 channels) meet weights pre-widened and packed the same way at compile
time in `i32x4.dot_i16x8_s`, adding both taps' products to 4 channels' i32 sums (an odd last
tap pairs with zero weights). The sums start at the bias, stay in registers, are requantised
there (pointwise.VectorRequant) and stored 4 outputs at a time. Pixels whose window lies
inside the input skip the tests. Sums wrap modulo 2**32 like the reference's, so the outputs
are the reference's bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import conv_int, pointwise  # conv_int imports this: used at call time
from xdsl.ir import SSAValue

#: Channels per pass (i16 lanes of one vector).
LANES = 8
_LOW = [0, 8, 1, 9, 2, 10, 3, 11]  # channels 0-3 of two taps, interleaved
_HIGH = [4, 12, 5, 13, 6, 14, 7, 15]  # channels 4-7


def applies(b: KernelBuilder, channels: int, multiplier: int, requant: conv_int.Requant) -> bool:
    """Whether a layer takes this path: SIMD128, whole vectors of channels, depth multiplier 1,
    uniform shifts (VectorRequant)."""
    return b.simd and multiplier == 1 and channels % LANES == 0 \
        and len(set(requant.lefts)) == 1 and len(set(requant.rights)) == 1


def pack_pairs(weights: np.ndarray) -> np.ndarray:
    """[taps][channels] -> [tap pair][channel][2] (taps padded to even with zero weights)."""
    taps, channels = weights.shape
    padded = np.zeros((taps + taps % 2, channels), np.int64)
    padded[:taps] = weights
    return np.transpose(padded.reshape(-1, 2, channels), (0, 2, 1)).reshape(-1)


def convolution(b: KernelBuilder, x: Buffer, out: Buffer, packed: np.ndarray,
                bias: np.ndarray, requant: conv_int.Requant, input_zero: int, geometry: dict,
                interior: tuple | None) -> None:
    """The layer: `packed` [1][fh][fw][channels] minus the filter zero point; `interior` the
    output rows and columns [first, last) whose windows lie inside the input, or None."""
    _, f_h, f_w, channels = packed.shape
    by_tap = packed.reshape(-1, channels)
    taps = _Taps(b.table("pairs", pack_pairs(by_tap), "i16"), b.table("bias", bias, "i32"),
                 pointwise.VectorRequant.of(b, requant, out,
                                            pointwise.largest_sum(by_tap.T, bias)),
                 b.splat(input_zero, "i16", LANES), b.splat(0, "i16", LANES))
    with b.loop(x.shape[0]) as n, b.loop(out.shape[1]) as oy, b.loop(out.shape[2]) as ox:
        pos = (n, oy, ox)

        def pixel(masked: bool, pos=pos) -> None:
            taps.pixel(b, x, out, pos, _windows(b, x, pos, geometry, (f_h, f_w), masked))

        if interior is None:
            pixel(True)
        else:
            inside = b.bool_and(conv_int.between(b, oy, interior[0]),
                                conv_int.between(b, ox, interior[1]))
            b.when(inside, lambda pixel=pixel: pixel(False))
            b.when(b.negate_bool(inside), lambda pixel=pixel: pixel(True))


@dataclass(frozen=True)
class _Taps:
    """A layer's tables and vector constants, and the code of one output pixel."""

    weights: Buffer  # pack_pairs' order, i16
    bias: Buffer
    requant: pointwise.VectorRequant
    zero: Scalar  # the input zero point, i16 lanes
    nothing: Scalar  # 0 in i16 lanes

    def pixel(self, b: KernelBuilder, x: Buffer, out: Buffer, pos: tuple,
              windows: list[tuple[SSAValue, SSAValue | None]]) -> None:
        """Output pixel pos = (n, oy, ox) from its taps' (start, inside) in the input."""
        n, oy, ox = pos
        channels = x.shape[3]
        pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out.shape[1]), oy),
                                        out.shape[2]), ox)
        with b.loop(channels, step=LANES) as c:
            sums = [b.load_vector(self.bias, b.add_index(c, half * 4), 4) for half in (0, 1)]
            inputs = []
            for start, inside in windows:
                value = b.load_vector(x, b.add_index(start, c), LANES)
                value = b.sub(b.convert(value, "i16"), self.zero)
                inputs.append(value if inside is None else b.select(inside, value,
                                                                    self.nothing))
            for pair in range(0, len(inputs), 2):
                first = inputs[pair]
                second = inputs[pair + 1] if pair + 1 < len(inputs) else first
                at = b.add_index(b.mul_index(c, 2), pair * channels)
                for half, lanes in enumerate((_LOW, _HIGH)):
                    weight = b.load_vector(self.weights, b.add_index(at, half * LANES), LANES)
                    both = b.shuffle(first, lanes, second)
                    sums[half] = b.add(sums[half], b.dot_i16x8(both, weight))
            self.requant.store(b, sums, c, out, b.add_index(b.mul_index(pixel, channels), c))


def _windows(b: KernelBuilder, x: Buffer, pos: tuple, geometry: dict, taps: tuple[int, int],
             masked: bool) -> list[tuple[SSAValue, SSAValue | None]]:
    """Per tap: its first input element and, when `masked`, whether it lies inside the input
    (the element then clamped to 0 outside)."""
    n, oy, ox = pos
    _, in_h, in_w, channels = x.shape
    out = []
    for fy in range(taps[0]):
        iy = b.add_index(b.mul_index(oy, geometry["sh"]), fy * geometry["dh"] - geometry["pad_h"])
        row = b.mul_index(b.add_index(b.mul_index(n, in_h), iy), in_w)
        for fx in range(taps[1]):
            ix = b.add_index(b.mul_index(ox, geometry["sw"]),
                             fx * geometry["dw"] - geometry["pad_w"])
            start = b.mul_index(b.add_index(row, ix), channels)
            if not masked:
                out.append((start, None))
                continue
            inside = b.bool_and(conv_int.between(b, iy, (0, in_h)),
                                conv_int.between(b, ix, (0, in_w)))
            clamped = b.select(inside, b.from_index(start), b.constant(0, "i32"))
            out.append((b.to_index(clamped), inside))
    return out

