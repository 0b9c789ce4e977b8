"""Float CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and pools with output channels in SIMD lanes.

Each output is the sum LiteRT's reference kernels (reference_ops::Conv, DepthwiseConv,
FullyConnected) compute, in their order: from 0.0, one product per filter tap and input channel
(fy, then fx, then ic; taps outside the input skipped), then the bias, then the activation.
Float addition is not associative, so that order is kept for every output and the results are
the reference's bit for bit; what changes is which outputs are computed together. Weights are
re-packed at compile time with the output channel innermost ([fh][fw][ic][oc], [d][unit]), and
BLOCK output channels' accumulators are carried in registers through the loops over taps and
input channels: each step adds one input value times BLOCK contiguous weights, which LLVM's
SLP vectoriser turns into f32x4 multiplies and adds (no accumulator in memory, no per-lane
index arithmetic). Windows are whole (constant trip counts, unrolled by LLVM when small) when
they lie inside the input or read a small input's zero-bordered copy; otherwise taps outside
the input are skipped by tap ranges, not per-tap tests. 1x1 stride-1 layers are also blocked
over pixels (PIXEL_BLOCK pixels share each step's weights).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rune.ir import tfl
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import ops
from rune.kernels.tfl.conv_int import fold_taps, in_blocks
from xdsl.ir import SSAValue

#: Output channels whose accumulators one pass carries (four f32x4 registers).
BLOCK = 16
#: Output pixels of a 1x1 convolution whose sums one pass carries, and the channels of each.
PIXEL_BLOCK = 4
PIXEL_LANES = 8
#: Elements up to which a padded convolution's input is copied into a zero-bordered buffer
#: (64 KiB of state), so every window is whole and its taps have constant trip counts.
BORDERED_LIMIT = 16384

#: A step of a block's sums: (accumulators, input value of lane j, packed row) -> accumulators.
Add = Callable[[list[Scalar], Callable[[int], Scalar], SSAValue], list[Scalar]]


def _fast(op: tfl.TflOp, x: Buffer) -> bool:
    """Float activations with float32 weights, if any (other forms keep the reference
    loops)."""
    weights = op.constant(1)
    return x.element == "f32" and (weights is None or weights.dtype == np.float32)


def _channel_blocks(b: KernelBuilder, channels: int, packed: Buffer, bias: Buffer,
                    activation: str, walk: Callable[[SSAValue, list[Scalar], Add], list[Scalar]],
                    store: Callable[[SSAValue, Scalar], None]) -> None:
    """For each block of output channels [first, first + count): walk(first, zeros, add)
    carries the block's sums, add(accs, value_of, row) adding value_of(j) * packed[row + first
    + j] to lane j; then channel c = first + j is stored as activation(acc_j + bias[c])."""

    def block(first: SSAValue, count: int) -> None:
        def add(accs: list[Scalar], value_of: Callable[[int], Scalar],
                row: SSAValue) -> list[Scalar]:
            at = b.add_index(row, first)
            return [b.add(acc, b.mul(value_of(j), b.load(packed, b.add_index(at, j))))
                    for j, acc in enumerate(accs)]

        sums = walk(first, [b.constant(0.0, "f32")] * count, add)
        for j, total in enumerate(sums):
            channel = b.add_index(first, j)
            value = b.add(total, b.load(bias, channel))
            store(channel, ops._activation_float(b, value, activation))

    in_blocks(b, channels, BLOCK, block)


def _bias(b: KernelBuilder, op: tfl.TflOp, channels: int) -> Buffer:
    bias = op.constant(2)
    return b.table("bias", bias if bias is not None else np.zeros(channels), "f32")


def _convolution(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
                 depthwise: bool) -> None:
    x, out = ins[0], outs[0]
    weights = op.constant(1)
    batches, in_h, in_w, in_c = x.shape
    _, out_h, out_w, out_c = out.shape
    _, f_h, f_w, f_c = weights.shape
    if depthwise and out_c != in_c or not depthwise and f_c != in_c:
        return ops.KERNELS["DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"](b, op, ins, outs)
    geometry = dict(sh=op.option("stride_h"), sw=op.option("stride_w"),
                    dh=op.option("dilation_h"), dw=op.option("dilation_w"))
    geometry["pad_h"] = ops._padding(op, in_h, out_h, geometry["sh"], geometry["dh"], f_h)
    geometry["pad_w"] = ops._padding(op, in_w, out_w, geometry["sw"], geometry["dw"], f_w)
    if not depthwise and (f_h, f_w, geometry["sh"], geometry["sw"]) == (1, 1, 1, 1) \
            and (in_h, in_w) == (out_h, out_w):
        _pointwise(b, op, x, out)
        return
    # depthwise [1][fh][fw][c] is already channel-innermost; CONV_2D [oc][fh][fw][ic] is not
    packed = b.table("packed", weights if depthwise else np.transpose(weights, (1, 2, 3, 0)),
                     "f32")
    bias = _bias(b, op, out_c)
    extent = _bordered_extent(geometry, x.shape, out.shape, (f_h, f_w))
    inside = extent == (in_h, in_w) and geometry["pad_h"] == geometry["pad_w"] == 0
    # a zero border adds 0 * w to sums that are never -0.0 (they start at +0.0): exact for
    # finite weights (0 * inf would be NaN), and taken only when the copy is small
    bordered = not inside and bool(np.isfinite(weights).all()) \
        and extent[0] * extent[1] * in_c <= BORDERED_LIMIT
    whole = inside or bordered
    with b.loop(batches) as n:
        if bordered:  # every tap of every window, from a zero-bordered copy of the input
            source, src_w, image = _zero_bordered(b, x, n, geometry, extent), extent[1], \
                b.index(0)
        else:
            source, src_w, image = x, in_w, b.mul_index(n, in_h)
        with b.loop(out_h) as oy, b.loop(out_w) as ox:
            pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out_h), oy), out_w), ox)
            first_out = b.mul_index(pixel, out_c)

            def walk(first, init, add, oy=oy, ox=ox, source=source, src_w=src_w, image=image):
                def tap(iy, ix, fy, fx, accs):
                    at = b.mul_index(b.add_index(b.mul_index(b.add_index(image, iy), src_w), ix),
                                     in_c)
                    row = b.mul_index(b.add_index(b.mul_index(fy, f_w), fx), in_c * out_c
                                      if not depthwise else out_c)
                    if depthwise:  # lane j reads its own channel first + j
                        base = b.add_index(at, first)
                        return add(accs, lambda j: b.load(source, b.add_index(base, j)), row)

                    def channel(ic, inner):
                        value = b.load(source, b.add_index(at, ic))
                        return add(inner, lambda j: value,
                                   b.add_index(row, b.mul_index(ic, out_c)))

                    return b.fold(in_c, accs, channel)

                if whole:
                    return _fold_window(b, (oy, ox), geometry, (f_h, f_w), init, tap)
                return fold_taps(b, (oy, ox), geometry, x.shape, (f_h, f_w), init, tap)

            _channel_blocks(b, out_c, packed, bias, op.option("activation"), walk,
                            lambda c, value, first_out=first_out: b.store(
                                value, out, b.add_index(first_out, c)))


def _pointwise(b: KernelBuilder, op: tfl.TflOp, x: Buffer, out: Buffer) -> None:
    """A 1x1, stride-1 CONV_2D: a product of the [pixel][ic] input and the [ic][oc] weights.
    PIXEL_BLOCK pixels share each step's weight vectors (register blocking: four pixels'
    sums of PIXEL_LANES channels each), the few pixels left over go one by one."""
    in_c, out_c = x.shape[3], out.shape[3]
    pixels = x.count // in_c
    packed = b.table("packed", np.transpose(op.constant(1), (1, 2, 3, 0)), "f32")
    bias = _bias(b, op, out_c)
    activation = op.option("activation")

    def block_of(first_pixel: SSAValue, count_pixels: int) -> None:
        rows = [b.mul_index(b.add_index(first_pixel, p), in_c) for p in range(count_pixels)]
        outs = [b.mul_index(b.add_index(first_pixel, p), out_c) for p in range(count_pixels)]

        def lanes(first: SSAValue, count: int) -> None:
            def step(ic, accs):
                at = b.add_index(b.mul_index(ic, out_c), first)
                weights = [b.load(packed, b.add_index(at, j)) for j in range(count)]
                values = [b.load(x, b.add_index(row, ic)) for row in rows]
                return [b.add(accs[p * count + j], b.mul(values[p], weights[j]))
                        for p in range(count_pixels) for j in range(count)]

            sums = b.fold(in_c, [b.constant(0.0, "f32")] * (count * count_pixels), step)
            for p in range(count_pixels):
                for j in range(count):
                    channel = b.add_index(first, j)
                    value = b.add(sums[p * count + j], b.load(bias, channel))
                    b.store(ops._activation_float(b, value, activation), out,
                            b.add_index(outs[p], channel))

        in_blocks(b, out_c, PIXEL_LANES, lanes)

    in_blocks(b, pixels, PIXEL_BLOCK, block_of)


def _bordered_extent(geometry: dict, in_shape: tuple, out_shape: tuple,
                     taps: tuple[int, int]) -> tuple[int, int]:
    """(rows, columns) of the input with the zero border (pad before, the rest after) that
    every window needs."""
    extent = []
    for axis, (stride, dilation, pad) in enumerate(
            ((geometry["sh"], geometry["dh"], geometry["pad_h"]),
             (geometry["sw"], geometry["dw"], geometry["pad_w"]))):
        needed = (out_shape[1 + axis] - 1) * stride + (taps[axis] - 1) * dilation + 1
        extent.append(max(in_shape[1 + axis] + pad, needed))
    return extent[0], extent[1]


def _zero_bordered(b: KernelBuilder, x: Buffer, n: SSAValue, geometry: dict,
                   extent: tuple[int, int]) -> Buffer:
    """Image n of x copied into a state buffer of `extent` rows and columns at (pad_h, pad_w);
    the border is never written, so it stays +0.0 from the zero-initialised state."""
    _, in_h, in_w, in_c = x.shape
    rows, columns = extent
    copy = b.state("bordered", rows * columns * in_c, "f32")
    with b.loop(in_h) as y:
        source = b.mul_index(b.add_index(b.mul_index(n, in_h), y), in_w * in_c)
        target = b.mul_index(b.add_index(b.mul_index(b.add_index(y, geometry["pad_h"]),
                                                     columns), geometry["pad_w"]), in_c)
        with b.loop(in_w * in_c) as i:
            b.store(b.load(x, b.add_index(source, i)), copy, b.add_index(target, i))
    return copy


def _fold_window(b: KernelBuilder, out_pos: tuple, geometry: dict, taps: tuple[int, int],
                 init: list[Scalar], body) -> list[Scalar]:
    """Carry `init` through body(iy, ix, fy, fx, carried) over every tap of the window, in
    zero-bordered coordinates (constant trip counts: LLVM unrolls small windows)."""
    (oy, ox), (f_h, f_w) = out_pos, taps

    def row(fy, carried):
        iy = b.add_index(b.mul_index(oy, geometry["sh"]), b.mul_index(fy, geometry["dh"]))
        return b.fold(f_w, carried, lambda fx, inner: body(
            iy, b.add_index(b.mul_index(ox, geometry["sw"]), b.mul_index(fx, geometry["dw"])),
            fy, fx, inner))

    return b.fold(f_h, init, row)


def _fully_connected(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer],
                     outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    weights = op.constant(1)
    units, depth = weights.shape
    packed = b.table("packed", np.transpose(weights), "f32")  # [d][unit]
    bias = _bias(b, op, units)
    with b.loop(x.count // depth) as n:
        base, first_out = b.mul_index(n, depth), b.mul_index(n, units)

        def walk(first, init, add, base=base):
            def step(d, accs):
                value = b.load(x, b.add_index(base, d))
                return add(accs, lambda j: value, b.mul_index(d, units))

            return b.fold(depth, init, step)

        _channel_blocks(b, units, packed, bias, op.option("activation"), walk,
                        lambda c, value: b.store(value, out, b.add_index(first_out, c)))


def _pool(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
          average: bool) -> None:
    """reference_ops::MaxPool / AveragePool (float): per output, over the taps inside the
    input in order, max = std::max(max, v) from the lowest float (a select on `<`, so a NaN
    input is skipped as there) or sum += v, then sum / taps; BLOCK channels per pass."""
    x, out = ins[0], outs[0]
    batches, in_h, in_w, channels = x.shape
    _, out_h, out_w, _ = out.shape
    taps = (op.option("filter_h"), op.option("filter_w"))
    geometry = dict(sh=op.option("stride_h"), sw=op.option("stride_w"), dh=1, dw=1)
    geometry["pad_h"] = ops._padding(op, in_h, out_h, geometry["sh"], 1, taps[0])
    geometry["pad_w"] = ops._padding(op, in_w, out_w, geometry["sw"], 1, taps[1])
    with b.loop(batches) as n, b.loop(out_h) as oy, b.loop(out_w) as ox:
        pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out_h), oy), out_w), ox)
        first_out = b.mul_index(pixel, channels)

        def block(first, count, n=n, oy=oy, ox=ox, first_out=first_out) -> None:
            def tap(iy, ix, fy, fx, accs):
                at = b.add_index(b.mul_index(b.add_index(b.mul_index(b.add_index(
                    b.mul_index(n, in_h), iy), in_w), ix), channels), first)
                values = [b.load(x, b.add_index(at, j)) for j in range(count)]
                if average:
                    return [*(b.add(a, v) for a, v in zip(accs, values, strict=False)),
                            b.add(accs[-1], b.constant(1.0, "f32"))]
                return [b.select(b.compare("lt", a, v), v, a)
                        for a, v in zip(accs, values, strict=True)]

            start = 0.0 if average else float(np.finfo(np.float32).min)
            init = [b.constant(start, "f32")] * (count + average)
            results = fold_taps(b, (oy, ox), geometry, x.shape, taps, init, tap)
            for j in range(count):
                value = b.div(results[j], results[-1]) if average else results[j]
                b.store(ops._activation_float(b, value, op.option("activation")), out,
                        b.add_index(first_out, b.add_index(first, j)))

        in_blocks(b, channels, BLOCK, block)


def _float_or_reference(name: str, fast: Callable) -> Callable:
    """The kernel for `name`: `fast` for float activations with f32 weights, else ops'."""

    def build(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer]) -> None:
        if _fast(op, ins[0]):
            fast(b, op, ins, outs)
        else:
            ops.KERNELS[name](b, op, ins, outs)

    return build


KERNELS = {
    "CONV_2D": _float_or_reference(
        "CONV_2D", lambda b, op, i, o: _convolution(b, op, i, o, depthwise=False)),
    "DEPTHWISE_CONV_2D": _float_or_reference(
        "DEPTHWISE_CONV_2D", lambda b, op, i, o: _convolution(b, op, i, o, depthwise=True)),
    "FULLY_CONNECTED": _float_or_reference("FULLY_CONNECTED", _fully_connected),
    "MAX_POOL_2D": _float_or_reference(
        "MAX_POOL_2D", lambda b, op, i, o: _pool(b, op, i, o, average=False)),
    "AVERAGE_POOL_2D": _float_or_reference(
        "AVERAGE_POOL_2D", lambda b, op, i, o: _pool(b, op, i, o, average=True)),
}
