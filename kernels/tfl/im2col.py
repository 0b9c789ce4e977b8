"""Small-window convolutions as the pointwise GEMM: each output pixel's window gathered.

A convolution whose window holds few elements (taps x input channels below conv_int's
PATCH_SIZE: an image's first 3x3 layer over one channel) is out[p] = requant(bias + w . row(p))
with row(p) the pixel's window minus the input zero point, 0 outside the input (the taps the
reference skips). The window is gathered element by element, unrolled (at most PATCH_SIZE
loads, each from a clamped address and selected to 0 outside); pointwise.gemm does the rest.
"""

from __future__ import annotations

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.tfl import pointwise
from xdsl.ir import SSAValue


def convolution(b: KernelBuilder, x: Buffer, out: Buffer, by_channel: np.ndarray,
                bias: np.ndarray, requant, input_zero: int, geometry: dict,
                taps: tuple[int, int]) -> None:
    """`by_channel` [out][fh * fw * in] minus the filter zero point."""
    _, in_h, in_w, in_c = x.shape
    _, out_h, out_w, _ = out.shape
    f_h, f_w = taps
    zero = b.constant(input_zero, "i32")
    none = b.constant(0, "i32")

    def gather(pixel: SSAValue, rows: Buffer, at: int) -> None:
        p = b.from_index(pixel)
        ox = b.rem(p, b.constant(out_w, "i32"))
        rest = b.div(p, b.constant(out_w, "i32"))
        oy, n = b.rem(rest, b.constant(out_h, "i32")), b.div(rest, b.constant(out_h, "i32"))
        for fy in range(f_h):
            iy = b.add(b.mul(oy, b.constant(geometry["sh"], "i32")),
                       b.constant(fy * geometry["dh"] - geometry["pad_h"], "i32"))
            inside_y = _within(b, iy, in_h)
            row = b.mul(b.add(b.mul(n, b.constant(in_h, "i32")), iy), b.constant(in_w, "i32"))
            for fx in range(f_w):
                ix = b.add(b.mul(ox, b.constant(geometry["sw"], "i32")),
                           b.constant(fx * geometry["dw"] - geometry["pad_w"], "i32"))
                inside = b.bool_and(inside_y, _within(b, ix, in_w))
                start = b.mul(b.add(row, ix), b.constant(in_c, "i32"))
                for ic in range(in_c):
                    index = b.select(inside, b.add(start, b.constant(ic, "i32")), none)
                    value = b.sub(b.convert(b.load(x, b.to_index(index)), "i32"), zero)
                    b.store(b.convert(b.select(inside, value, none), "i16"), rows,
                            b.index(at + (fy * f_w + fx) * in_c + ic))

    pointwise.gemm(b, out, by_channel, bias, requant, gather)


def _within(b: KernelBuilder, coord, size: int) -> SSAValue:
    return b.bool_and(b.compare("ge", coord, b.constant(0, "i32")),
                      b.compare("lt", coord, b.constant(size, "i32")))
