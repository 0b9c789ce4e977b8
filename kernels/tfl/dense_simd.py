"""Integer FULLY_CONNECTED on SIMD128 for few outputs over a long depth (microspeech's
[6, 4000] layer): each output's dot product along the depth in vector lanes.

out[n][o] = requant(bias'[o] + sum_d x[n][d] * w'[o][d]), with w' = w - filter_zero stored
as i8 where it fits (int8 models; i16 otherwise) and the input zero point folded into bias'
(as conv_int.fully_connected does). A loop over the depth carries one i32x4 sum per output of
a block of UNITS outputs: each step widens 8 inputs to i16 once (`i16x8.load8x8`) and adds
`i32x4.dot_i16x8_s` of them with each output's 8 weights, widened on load. (Weights
pre-widened to i16 at compile time measured the same within 0.2 us on microspeech and made
its rune 23 KB larger.) The 4 lanes are summed once per output, the depth's last elements
(under 8) added in scalar, and the sum requantised once. Sums wrap modulo 2**32 in any
order, so the outputs are the reference's bit for bit."""

from __future__ import annotations

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import conv_int  # conv_int imports this module: used at call time

#: Outputs whose sums one pass over the input carries (vector registers).
UNITS = 8
#: Input elements widened and multiplied at once (i16 lanes).
CHUNK = 8
#: Chunks per iteration of the depth loop (Cranelift keeps a loop's carried sums in stack
#: slots across the epoch check at its header: fewer, longer iterations).
UNROLL = 2
_LANES = 4  # i32 lanes of a sum


def applies(b: KernelBuilder, x: Buffer, units: int, depth: int) -> bool:
    """SIMD128, an input read as vectors (no fused steps), a depth of whole chunks and at most
    two passes over it per row."""
    return b.simd and not x.steps and depth >= CHUNK * UNROLL and units <= 2 * UNITS


def fully_connected(b: KernelBuilder, x: Buffer, out: Buffer, weights: np.ndarray,
                    bias: np.ndarray, requant: conv_int.Requant) -> None:
    """The layer: `weights` [units][depth] minus the filter zero point, `bias` [units] with
    the input zero point folded in (wrapped to i32)."""
    units, depth = weights.shape
    table = conv_int.packed_weights(b, weights)
    bias_table = b.table("bias", bias, "i32")
    lanes = b.state("lanes", units * _LANES, "i32")
    columns = requant.columns(b)
    step = CHUNK * UNROLL
    whole = depth - depth % step
    tail = depth - depth % CHUNK  # after the loop's chunks and the chunks left over
    with b.loop(x.count // depth) as n:
        base = b.mul_index(n, depth)
        for first in range(0, units, UNITS):
            block = list(range(first, min(units, first + UNITS)))

            def chunk(at, sums: list[Scalar], block=block, base=base) -> list[Scalar]:
                xs = b.convert(b.load_vector(x, b.add_index(base, at), CHUNK), "i16")
                return [b.add(total, b.dot_i16x8(xs, b.convert(b.load_vector(
                    table, b.add_index(at, unit * depth), CHUNK), "i16")))
                    for total, unit in zip(sums, block, strict=True)]

            def steps(i, sums: list[Scalar], chunk=chunk) -> list[Scalar]:
                at = b.mul_index(i, step)
                for u in range(UNROLL):
                    sums = chunk(b.add_index(at, u * CHUNK), sums)
                return sums

            sums = b.fold(whole // step, [b.splat(0, "i32", _LANES) for _ in block], steps)
            for at in range(whole, tail, CHUNK):
                sums = chunk(b.index(at), sums)
            for total, unit in zip(sums, block, strict=True):
                b.store_vector(total, lanes, b.index(unit * _LANES))
        for unit in range(units):
            total = b.load(bias_table, b.index(unit))
            for lane in range(_LANES):
                total = b.add(total, b.load(lanes, b.index(unit * _LANES + lane)))
            row = unit * depth
            total = b.fold(depth, [total], lambda d, t, row=row, base=base: [b.add(t[0], b.mul(
                b.convert(b.load(x, b.add_index(base, d)), "i32"),
                b.convert(b.load(table, b.add_index(d, row)), "i32")))], lower=tail)[0] \
                if tail < depth else total
            b.store(requant.apply(b, total, b.index(unit), columns, out.element), out,
                    b.add_index(b.mul_index(n, units), unit))
