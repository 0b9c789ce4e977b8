"""Integer DEPTHWISE_CONV_2D (multiplier 1) inside the input, channels in vector lanes.

For an output pixel whose window lies inside the input, 8 channels at a time: each tap's 8
input bytes are widened to i16 minus the input zero point; two taps' vectors interleaved
(channel-major: [x(c,t), x(c,t+1)] for 4 channels) meet weights pre-widened and packed the
same way at compile time in `i32x4.dot_i16x8_s`, adding both taps' products to 4 channels'
i32 sums (an odd last tap pairs with zero weights). The sums start at the bias, stay in
registers, are requantised there (pointwise.VectorRequant) and stored 4 outputs at a time.
Border pixels keep conv_int's accumulator row. Sums wrap modulo 2**32 like the reference's,
so the outputs are the reference's bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.tfl.pointwise import VectorRequant, largest_sum

if TYPE_CHECKING:  # conv_int imports this module
    from rune.kernels.tfl.conv_int import Requant

#: Channels per pass (i16 lanes of one vector).
LANES = 8
_LOW = [0, 8, 1, 9, 2, 10, 3, 11]  # channels 0-3 of two taps, interleaved
_HIGH = [4, 12, 5, 13, 6, 14, 7, 15]  # channels 4-7


def applies(b: KernelBuilder, channels: int, multiplier: int, requant: Requant) -> bool:
    """Whether interior pixels take this path: SIMD128, whole vectors of channels, depth
    multiplier 1, uniform shifts (VectorRequant)."""
    return b.simd and multiplier == 1 and channels % LANES == 0 \
        and len(set(requant.lefts)) == 1 and len(set(requant.rights)) == 1


def pack_pairs(weights: np.ndarray) -> np.ndarray:
    """[taps][channels] -> [tap pair][channel][2] (taps padded to even with zero weights)."""
    taps, channels = weights.shape
    padded = np.zeros((taps + taps % 2, channels), np.int64)
    padded[:taps] = weights
    return np.transpose(padded.reshape(-1, 2, channels), (0, 2, 1)).reshape(-1)


class VectorTaps:
    """The tables of one layer, built once, and the code of one interior output pixel."""

    def __init__(self, b: KernelBuilder, packed: np.ndarray, bias: Buffer,
                 bias_values: np.ndarray, requant: Requant, x: Buffer, out: Buffer,
                 zero: int) -> None:
        channels = x.shape[3]
        self.weights = b.table("pairs", pack_pairs(packed.reshape(-1, channels)), "i16")
        by_channel = packed.reshape(-1, channels).T
        self.requant = VectorRequant.of(b, requant, out, largest_sum(by_channel, bias_values))
        self.bias, self.x, self.out = bias, x, out
        self.zero = b.splat(zero, "i16", LANES)

    def pixel(self, b: KernelBuilder, pos: tuple, geometry: dict,
              taps: tuple[int, int]) -> None:
        """Output pixel pos = (n, oy, ox), its whole window inside the input."""
        n, oy, ox = pos
        _, in_h, in_w, channels = self.x.shape
        f_h, f_w = taps
        top = b.add_index(b.mul_index(oy, geometry["sh"]), -geometry["pad_h"])
        left = b.add_index(b.mul_index(ox, geometry["sw"]), -geometry["pad_w"])
        pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, self.out.shape[1]), oy),
                                        self.out.shape[2]), ox)
        starts = []
        for fy in range(f_h):
            row = b.mul_index(b.add_index(b.mul_index(n, in_h),
                                          b.add_index(top, fy * geometry["dh"])), in_w)
            starts += [b.mul_index(b.add_index(row, b.add_index(left, fx * geometry["dw"])),
                                   channels) for fx in range(f_w)]
        with b.loop(channels, step=LANES) as c:
            sums = [b.load_vector(self.bias, b.add_index(c, half * 4), 4) for half in (0, 1)]
            inputs = [b.sub(b.convert(b.load_vector(self.x, b.add_index(start, c), LANES),
                                      "i16"), self.zero) for start in starts]
            for pair in range(0, len(inputs), 2):
                first = inputs[pair]
                second = inputs[pair + 1] if pair + 1 < len(inputs) else first
                at = b.add_index(b.mul_index(c, 2), pair * channels)
                for half, lanes in enumerate((_LOW, _HIGH)):
                    weight = b.load_vector(self.weights, b.add_index(at, half * LANES), LANES)
                    both = b.shuffle(first, lanes, second)
                    sums[half] = b.add(sums[half], b.dot_i16x8(both, weight))
            at = b.add_index(b.mul_index(pixel, channels), c)
            for half, total in enumerate(sums):
                b.store_vector(self.requant.apply(b, total, b.add_index(c, half * 4)),
                               self.out, b.add_index(at, half * 4))
