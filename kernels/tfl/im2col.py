"""Small-window convolutions as the pointwise GEMM: each output pixel's window gathered.

A convolution whose window holds few elements (taps x input channels below conv_int's
PATCH_SIZE: an image's first 3x3 layer over one channel) is out[p] = requant(bias + w . row(p))
with row(p) the pixel's window minus the input zero point, 0 outside the input (the taps the
reference skips). The window is gathered element by element, unrolled (under PATCH_SIZE
loads; for pixels whose window reaches outside the input, each from a clamped address and
selected to 0 outside); pointwise.gemm does the rest.
"""

from __future__ import annotations

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.tfl import conv_int, pointwise  # conv_int imports this: used at call time
from xdsl.ir import SSAValue


def convolution(b: KernelBuilder, x: Buffer, out: Buffer, by_channel: np.ndarray,
                bias: np.ndarray, requant: conv_int.Requant, input_zero: int, geometry: dict,
                taps: tuple[int, int], interior: tuple | None) -> None:
    """`by_channel` [out][fh * fw * in] minus the filter zero point; `interior` the output rows
    and columns [first, last) whose windows lie inside the input (gathered with no tests)."""
    _, in_h, in_w, in_c = x.shape
    _, out_h, out_w, _ = out.shape
    f_h, f_w = taps
    zero = b.constant(input_zero, "i32")
    none = b.constant(0, "i32")
    const = lambda v: b.constant(v, "i32")  # noqa: E731

    def window(place: tuple, rows: Buffer, at: int, masked: bool) -> None:
        n, oy, ox = place
        for fy in range(f_h):
            iy = b.add(b.mul(oy, const(geometry["sh"])),
                       const(fy * geometry["dh"] - geometry["pad_h"]))
            row = b.mul(b.add(b.mul(n, const(in_h)), iy), const(in_w))
            for fx in range(f_w):
                ix = b.add(b.mul(ox, const(geometry["sw"])),
                           const(fx * geometry["dw"] - geometry["pad_w"]))
                start = b.mul(b.add(row, ix), const(in_c))
                inside = b.bool_and(conv_int.within(b, iy, (0, in_h)),
                                    conv_int.within(b, ix, (0, in_w))) if masked else None
                for ic in range(in_c):
                    index = b.add(start, const(ic))
                    if inside is not None:
                        index = b.select(inside, index, none)
                    value = b.sub(b.convert(b.load(x, b.to_index(index)), "i32"), zero)
                    if inside is not None:
                        value = b.select(inside, value, none)
                    b.store(b.convert(value, "i16"), rows,
                            b.index(at + (fy * f_w + fx) * in_c + ic))

    def gather(pixel: SSAValue, rows: Buffer, at: int) -> None:
        p = b.from_index(pixel)
        ox, rest = b.rem(p, const(out_w)), b.div(p, const(out_w))
        place = (b.div(rest, const(out_h)), b.rem(rest, const(out_h)), ox)
        if interior is None:
            window(place, rows, at, True)
            return
        inside = b.bool_and(conv_int.within(b, place[1], interior[0]),
                            conv_int.within(b, ox, interior[1]))
        b.when(inside, lambda: window(place, rows, at, False))
        b.when(b.negate_bool(inside), lambda: window(place, rows, at, True))

    pointwise.gemm(b, out, by_channel, bias, requant, gather)
