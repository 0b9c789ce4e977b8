"""Integer convolutions of one input channel with large windows on SIMD128 (microspeech's
DEPTHWISE_CONV_2D: 10x8 taps, depth multiplier 8, stride 2), output channels in lanes.

- The input is widened once per image to i16 minus its zero point into a zero-bordered plane
  (static state: the border, the padding the reference skips, is never written, so it stays
  0), wide enough for every window; no pixel needs a test.
- The filter is padded to an even width with zero weights, so its taps pair up within a row:
  a pair (x[iy][ix], x[iy][ix + 1]) is two neighbouring i16 of the plane, splatted over 8 lanes.
- Weights are pre-widened and packed at compile time as depthwise_simd.pack_pairs does
  ([tap pair][channel][2]): `i32x4.dot_i16x8_s` of the splatted pair with 4 channels' weight
  pairs adds both taps' products to those channels' sums: no horizontal sums.
- A block of PIXELS neighbouring output pixels x 8 channels starts its 2 * PIXELS i32x4 sums
  at the bias and carries them through a loop over filter rows. Each row's inputs for the
  block are loaded as whole vectors and every pixel's tap pair splatted from them by a
  shuffle; each tap pair's two weight vectors are loaded once for all the block's pixels.
  (Every tap unrolled, with one load per pair, was 1.4x slower: Cranelift keeps loads in
  program order and computes pure operations where first needed, after the last tap, so
  LLVM's loads, all placed first, were some 160 live vectors, spilled.)
- The sums are requantised in registers (pointwise.VectorRequant, per-channel shifts too).

Integer sums wrap modulo 2**32 in any order, so the outputs are the reference's bit for bit.
"""

from __future__ import annotations

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import conv_int, depthwise_simd, pointwise  # conv_int: call time only
from xdsl.ir import SSAValue

#: Output channels per pass (two i32x4 sums).
LANES = 8
#: Neighbouring output pixels per block (2 sums each: 8 vector registers in all).
PIXELS = 4


def applies(b: KernelBuilder, in_c: int, out_c: int, geometry: dict) -> bool:
    """A layer this kernel computes: SIMD128, one input channel, whole vectors of output
    channels, dilation 1 (a pair of taps is two neighbouring inputs)."""
    return b.simd and in_c == 1 and out_c % LANES == 0 and geometry["dh"] == geometry["dw"] == 1


def convolution(b: KernelBuilder, x: Buffer, out: Buffer, by_tap: np.ndarray,
                bias: np.ndarray, requant: conv_int.Requant, input_zero: int,
                geometry: dict) -> bool:
    """The layer from `by_tap` [fh][fw][out] (minus the filter zero point); False (nothing
    built) when its requantisation cannot run in vectors."""
    f_h, f_w, channels = by_tap.shape
    largest = pointwise.largest_sum(by_tap.reshape(-1, channels).T, bias)
    vector = pointwise.VectorRequant.of(b, requant, out, largest)
    if vector is None:
        return False
    even = f_w + f_w % 2
    padded = np.zeros((f_h, even, channels), np.int64)
    padded[:, :f_w] = by_tap
    weights = b.table("pairs", depthwise_simd.pack_pairs(padded.reshape(-1, channels)), "i16")
    bias_table = b.table("bias", bias, "i32")
    batches, in_h, in_w, _ = x.shape
    _, out_h, out_w, _ = out.shape
    sh, sw = geometry["sh"], geometry["sw"]
    top, left = geometry["pad_h"], geometry["pad_w"]
    height = max((out_h - 1) * sh + f_h, top + in_h)
    width = max((out_w - 1) * sw + even, left + in_w)
    # rows are read as whole vectors: slack after the last one
    plane = b.state("plane", height * width + LANES, "i16")
    zero = b.constant(input_zero, "i32")
    with b.loop(batches) as n:
        with b.loop(in_h) as iy, b.loop(in_w) as ix:  # LLVM vectorises the widening
            source = b.add_index(b.mul_index(b.add_index(b.mul_index(n, in_h), iy), in_w), ix)
            value = b.sub(b.convert(b.load(x, source), "i32"), zero)
            b.store(b.convert(value, "i16"), plane,
                    b.add_index(b.mul_index(b.add_index(iy, top), width), b.add_index(ix, left)))
        with b.loop(out_h) as oy:
            row = b.mul_index(b.add_index(b.mul_index(n, out_h), oy), out_w)
            first_row = b.mul_index(b.mul_index(oy, sh), width)

            def block(ox: SSAValue, count: int, row=row, first_row=first_row) -> None:
                with b.loop(channels, step=LANES) as c:
                    sums = _sums(b, plane, weights, bias_table, (first_row, ox), c, count,
                                 (f_h, even, width, sw, channels))
                    for m in range(count):
                        pixel = b.add_index(row, b.add_index(ox, m))
                        vector.store(b, sums[2 * m:2 * m + 2], c, out,
                                     b.add_index(b.mul_index(pixel, channels), c))

            conv_int.in_blocks(b, out_w, PIXELS, block)
    return True


def _sums(b: KernelBuilder, plane: Buffer, weights: Buffer, bias: Buffer, start: tuple,
          c: SSAValue, count: int, shape: tuple) -> list[Scalar]:
    """The i32x4 sums (channels c..c+3, c+4..c+7) of `count` pixels from column ox on: a loop
    over filter rows carries them; in a row, the pixels' inputs are loaded as whole vectors
    and each tap pair splatted from them by a shuffle, each pair's two weight vectors loaded
    once for all the pixels."""
    first_row, ox = start
    f_h, even, width, sw, channels = shape
    init = [b.load_vector(bias, b.add_index(c, half * 4), 4)
            for _ in range(count) for half in (0, 1)]
    span = (count - 1) * sw + even
    left = b.mul_index(ox, sw)

    def row(fy: SSAValue, sums: list[Scalar]) -> list[Scalar]:
        at = b.add_index(b.add_index(first_row, b.mul_index(fy, width)), left)
        inputs = [b.load_vector(plane, b.add_index(at, k * LANES), LANES)
                  for k in range(-(-span // LANES))]
        taps = b.add_index(b.mul_index(fy, even * channels), b.mul_index(c, 2))
        sums = list(sums)
        for fx in range(0, even, 2):
            pair = [b.load_vector(weights, b.add_index(taps, fx * channels + half * LANES),
                                  LANES) for half in (0, 1)]
            for m in range(count):
                column = m * sw + fx
                k, j = divmod(column, LANES)
                xs = b.shuffle(inputs[k], [j, j + 1] * (LANES // 2),
                               inputs[k + 1] if j + 1 == LANES else None)
                for half in (0, 1):
                    sums[2 * m + half] = b.add(sums[2 * m + half], b.dot_i16x8(xs, pair[half]))
        return sums

    return b.fold(f_h, init, row)
