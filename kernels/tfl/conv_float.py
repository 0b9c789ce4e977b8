"""Float CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with output channels in SIMD lanes.

Each output is the sum LiteRT's reference kernels (reference_ops::Conv, DepthwiseConv,
FullyConnected) compute, in their order: from 0.0, one product per filter tap and input channel
(fy, then fx, then ic; taps outside the input skipped), then the bias, then the activation.
Float addition is not associative, so that order is kept for every output and the results are
the reference's bit for bit; what changes is which outputs are computed together. Weights are
re-packed at compile time with the output channel innermost ([fh][fw][ic][oc], [d][unit]), and
BLOCK output channels' accumulators are carried in registers through the loops over taps and
input channels: each step adds one input value times BLOCK contiguous weights, which LLVM's
SLP vectoriser turns into f32x4 multiplies and adds (no accumulator in memory, no per-lane
index arithmetic). Taps outside the input are skipped by tap ranges, not per-tap tests.
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
    # depthwise [1][fh][fw][c] is already channel-innermost; CONV_2D [oc][fh][fw][ic] is not
    packed = b.table("packed", weights if depthwise else np.transpose(weights, (1, 2, 3, 0)),
                     "f32")
    bias = _bias(b, op, out_c)
    with b.loop(batches) as n, b.loop(out_h) as oy, b.loop(out_w) as ox:
        pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out_h), oy), out_w), ox)
        first_out = b.mul_index(pixel, out_c)

        def walk(first, init, add, n=n, oy=oy, ox=ox):
            def tap(iy, ix, fy, fx, accs):
                at = b.mul_index(b.add_index(b.mul_index(b.add_index(b.mul_index(n, in_h), iy),
                                                         in_w), ix), in_c)
                row = b.mul_index(b.add_index(b.mul_index(fy, f_w), fx), in_c * out_c
                                  if not depthwise else out_c)
                if depthwise:  # lane j reads its own channel first + j
                    base = b.add_index(at, first)
                    return add(accs, lambda j: b.load(x, b.add_index(base, j)), row)

                def channel(ic, inner):
                    value = b.load(x, b.add_index(at, ic))
                    return add(inner, lambda j: value, b.add_index(row, b.mul_index(ic, out_c)))

                return b.fold(in_c, accs, channel)

            return fold_taps(b, (oy, ox), geometry, x.shape, (f_h, f_w), init, tap)

        _channel_blocks(b, out_c, packed, bias, op.option("activation"), walk,
                        lambda c, value: b.store(value, out, b.add_index(first_out, c)))


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
