"""Kernels for tfl ops, written with KernelBuilder after LiteRT's reference kernels.

Each entry of `KERNELS` builds one operator's loops from the op (options, constants,
quantisation) and flat buffers (inputs, outputs). Integer kernels compute what
reference_integer_ops (int8, per-channel) and the legacy uint8 reference kernels compute, bit
for bit; float kernels sum in the reference order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rune.ir import tfl
from rune.ir import tfl_fixed_point as fp
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import conv_int
from xdsl.ir import SSAValue

QRANGE = {"i8": (-128, 127), "u8": (0, 255), "i16": (-32768, 32767), "i32": (fp.INT32_MIN,
                                                                               fp.INT32_MAX)}


class KernelError(Exception):
    """The op has a form its kernel does not handle (named in the message)."""


# --- shared pieces -----------------------------------------------------------------------------

def _quant(op: tfl.TflOp, position: int) -> tuple[list[float], list[int]]:
    q = op.quant_of(position)
    if q is None:
        raise KernelError(f"tensor {position} is not quantized")
    return q.scales, q.zero_points


def _activation_range_q(activation: str, scale: float, zero: int, element: str) -> tuple[int, int]:
    """CalculateActivationRangeQuantized."""
    qmin, qmax = QRANGE[element]

    def quantize(f: float) -> int:
        return zero + fp.tf_round(float(np.float32(f) / np.float32(scale)))

    if activation == "RELU":
        return max(qmin, quantize(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, quantize(0.0)), min(qmax, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quantize(-1.0)), min(qmax, quantize(1.0))
    if activation == "NONE":
        return qmin, qmax
    raise KernelError(f"fused activation {activation} is not supported on integers")


def _activation_float(b: KernelBuilder, value: Scalar, activation: str) -> Scalar:
    bounds = {"NONE": None, "RELU": (0.0, None), "RELU6": (0.0, 6.0),
              "RELU_N1_TO_1": (-1.0, 1.0)}
    if activation not in bounds:
        raise KernelError(f"fused activation {activation} is not supported")
    limits = bounds[activation]
    if limits is None:
        return value
    low, high = limits
    value = b.maximum(value, b.constant(low, "f32"))
    return value if high is None else b.minimum(value, b.constant(high, "f32"))


def _is_float(buffer: Buffer) -> bool:
    return buffer.element == "f32"


def _stored(weights: np.ndarray) -> str:
    """Weights stay in their own type in the data segment (int8 is a quarter of int32)."""
    return {"i": "i", "u": "u", "f": "f"}[weights.dtype.kind] + str(weights.dtype.itemsize * 8)


def _check_weights(x: Buffer, weights: np.ndarray) -> None:
    if _is_float(x) and weights.dtype.kind != "f":
        raise KernelError("float activations with integer weights (dynamic-range quantisation) "
                          "are not compiled; convert the model with full-integer quantisation "
                          "or run it with `run: handler`")


def _flat(b: KernelBuilder, shape: tuple[int, ...], indices: list) -> object:
    """Row-major flat index of `indices` (index values) in `shape`."""
    flat = indices[0]
    for dim, index in zip(shape[1:], indices[1:], strict=True):
        flat = b.add_index(b.mul_index(flat, dim), index)
    return flat


def _padding(op: tfl.TflOp, in_size: int, out_size: int, stride: int, dilation: int,
             filter_size: int) -> int:
    """ComputePaddingHeightWidth: SAME pads half the excess (rounded down) before."""
    if op.option("padding") == "VALID":
        return 0
    effective = (filter_size - 1) * dilation + 1
    return max(0, ((out_size - 1) * stride + effective - in_size) // 2)


def _window(b: KernelBuilder, out_coord, stride: int, pad: int, dilation: int, tap,
            size: int, out_size: int, taps: int) -> tuple[SSAValue | None, object]:
    """(inside?, clamped index) of input coordinate out*stride - pad + dilation*tap; inside is
    None when every output position's window lies inside the input (no padding reached)."""
    if pad == 0 and (out_size - 1) * stride + (taps - 1) * dilation < size:
        return None, b.add_index(b.mul_index(out_coord, stride), b.mul_index(tap, dilation))
    coord = b.add(b.mul(b.from_index(out_coord), b.constant(stride, "i32")),
                  b.constant(-pad, "i32"))
    coord = b.add(coord, b.mul(b.from_index(tap), b.constant(dilation, "i32")))
    inside = b.bool_and(b.compare("ge", coord, b.constant(0, "i32")),
                        b.compare("lt", coord, b.constant(size, "i32")))
    clamped = b.minimum(b.maximum(coord, b.constant(0, "i32")), b.constant(size - 1, "i32"))
    return inside, b.to_index(clamped)


def _both(b: KernelBuilder, first: SSAValue | None, second: SSAValue | None):
    if first is None or second is None:
        return second if first is None else first
    return b.bool_and(first, second)


def _masked(b: KernelBuilder, inside: SSAValue | None, value: Scalar) -> Scalar:
    """value where the window is inside the input, else 0 (padding contributes nothing)."""
    if inside is None:
        return value
    return b.select(inside, value, b.constant(0, value.element))


# --- operators ---------------------------------------------------------------------------------

def _copy(b: KernelBuilder, op, ins: list[Buffer], outs: list[Buffer]) -> None:
    with b.loop(outs[0].count) as i:
        b.store(b.load(ins[0], i), outs[0], i)


def _conv(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
          depthwise: bool) -> None:
    x, out = ins[0], outs[0]
    weights = op.constant(1)
    bias = op.constant(2)
    _check_weights(x, weights)
    batches, in_h, in_w, in_c = x.shape
    _, out_h, out_w, out_c = out.shape
    _, f_h, f_w, f_c = weights.shape
    sh, sw = op.option("stride_h"), op.option("stride_w")
    dh, dw = op.option("dilation_h"), op.option("dilation_w")
    pad_h = _padding(op, in_h, out_h, sh, dh, f_h)
    pad_w = _padding(op, in_w, out_w, sw, dw, f_w)
    activation = op.option("activation")
    multiplier = out_c // in_c if depthwise else 1
    if not depthwise and in_c != f_c:
        raise KernelError(f"grouped convolution ({in_c} input channels, filter depth {f_c})")
    is_float = _is_float(x)
    if not is_float:
        in_scale, in_zero = _quant(op, 0)
        f_scales, f_zeros = _quant(op, 1)
        out_scale, out_zero = op.output_quant().scales[0], op.output_quant().zero_points[0]
        reals = [float(np.float64(np.float32(in_scale[0]))) * float(np.float32(s))
                 / float(np.float32(out_scale))
                 for s in (f_scales if len(f_scales) > 1 else f_scales * out_c)]
        limits = _activation_range_q(activation, out_scale, out_zero, out.element)
        geometry = dict(sh=sh, sw=sw, dh=dh, dw=dw, pad_h=pad_h, pad_w=pad_w,
                        filter_zero=f_zeros[0] if len(set(f_zeros)) == 1 else 0)
        conv_int.convolution(b, op, x, out, depthwise, geometry,
                             conv_int.Requant.of(reals, out_zero, limits), in_zero[0])
        return
    acc_type = "f32"
    filt = b.table("filter", weights, _stored(weights))
    bias_table = b.table("bias", bias if bias is not None else np.zeros(out_c), acc_type)
    with b.loop(batches) as n, b.loop(out_h) as oy, b.loop(out_w) as ox, b.loop(out_c) as oc:
        ic_of_oc = b.to_index(b.div(b.from_index(oc), b.constant(multiplier, "i32"))) \
            if depthwise else None

        def taps(fy, acc):
            inside_y, iy = _window(b, oy, sh, pad_h, dh, fy, in_h, out_h, f_h)

            def across(fx, acc2):
                inside_x, ix = _window(b, ox, sw, pad_w, dw, fx, in_w, out_w, f_w)
                inside = _both(b, inside_y, inside_x)

                def product(ic, fi) -> Scalar:
                    value = b.load(x, _flat(b, x.shape, [n, iy, ix, ic]))
                    return b.mul(value, b.convert(b.load(filt, fi), acc_type))

                if depthwise:
                    term = product(ic_of_oc, _flat(b, weights.shape, [b.index(0), fy, fx, oc]))
                    return [b.add(acc2[0], _masked(b, inside, term))]

                def channels(ic, acc3):
                    term = product(ic, _flat(b, weights.shape, [oc, fy, fx, ic]))
                    return [b.add(acc3[0], term)]

                # the reference order: one running sum over fy, fx, ic
                if inside is None:
                    return b.fold(in_c, acc2, channels)
                summed = b.fold(in_c, acc2, channels)[0]
                return [b.select(inside, summed, acc2[0])]

            return b.fold(f_w, acc, across)

        acc = b.fold(f_h, [b.constant(0, acc_type)], taps)[0]
        acc = b.add(acc, b.load(bias_table, oc))
        b.store(_activation_float(b, acc, activation), out, _flat(b, out.shape, [n, oy, ox, oc]))


def _fully_connected(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer],
                     outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    weights = op.constant(1)
    bias = op.constant(2)
    _check_weights(x, weights)
    units, depth = weights.shape
    batches = x.count // depth
    activation = op.option("activation")
    if not _is_float(x):
        in_scale, in_zero = _quant(op, 0)
        f_scales, f_zeros = _quant(op, 1)
        out_q = op.output_quant()
        out_scale, out_zero = out_q.scales[0], out_q.zero_points[0]
        reals = [float(np.float32(in_scale[0])) * float(np.float32(s)) / float(np.float32(
            out_scale)) for s in (f_scales if len(f_scales) > 1 else f_scales * units)]
        limits = _activation_range_q(activation, out_scale, out_zero, out.element)
        conv_int.fully_connected(b, op, x, out, conv_int.Requant.of(reals, out_zero, limits),
                                 in_zero[0], f_zeros[0])
        return
    filt = b.table("weights", weights, _stored(weights))
    bias_table = b.table("bias", bias if bias is not None else np.zeros(units), "f32")
    with b.loop(batches) as n, b.loop(units) as o:
        def step(d, acc):
            value = b.load(x, b.add_index(b.mul_index(n, depth), d))
            weight = b.convert(b.load(filt, b.add_index(b.mul_index(o, depth), d)), "f32")
            return [b.add(acc[0], b.mul(value, weight))]

        acc = b.fold(depth, [b.constant(0, "f32")], step)[0]
        acc = b.add(acc, b.load(bias_table, o))
        b.store(_activation_float(b, acc, activation), out, b.add_index(b.mul_index(n, units), o))


def _softmax(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    depth = x.shape[-1]
    rows = x.count // depth
    beta = op.option("beta")
    if _is_float(x):
        _softmax_float(b, x, out, rows, depth, beta)
    elif x.element == "i8" and out.element == "i8":
        _softmax_int8(b, op, x, out, rows, depth, beta)
    else:
        raise KernelError(f"softmax from {x.element} to {out.element}")


def _softmax_float(b, x, out, rows, depth, beta) -> None:
    with b.loop(rows) as r:
        base = b.mul_index(r, depth)
        first = b.load(x, base)
        top = b.fold(depth, [first], lambda c, m: [b.maximum(m[0], b.load(x, b.add_index(
            base, c)))])[0]

        def exp_of(c):
            shifted = b.sub(b.load(x, b.add_index(base, c)), top)
            return b.exp(b.mul(shifted, b.constant(beta, "f32")))

        total = b.fold(depth, [b.constant(0.0, "f32")],
                       lambda c, s: [b.add(s[0], exp_of(c))])[0]
        with b.loop(depth) as c:
            b.store(b.div(exp_of(c), total), out, b.add_index(base, c))


def _softmax_int8(b, op, x, out, rows, depth, beta) -> None:
    """reference_ops::Softmax (int8 -> int8): exp of each of the 256 possible differences from
    the row maximum is a compile-time table; the reciprocal of the sum is computed at run time."""
    in_scale = float(np.float32(op.quant_of(0).scales[0]))
    exps = [fp.softmax_int8_exp(in_scale, beta, d) for d in range(256)]
    table = b.table("exp", np.array(exps, dtype=np.int64).astype(np.int32), "i32")
    sums = b.table("exp_sum", np.array([fp.rdbpot(e, 12) for e in exps]), "i32")
    with b.loop(rows) as r:
        base = b.mul_index(r, depth)
        first = b.convert(b.load(x, base), "i32")
        top = b.fold(depth, [first], lambda c, m: [b.maximum(m[0], b.convert(b.load(
            x, b.add_index(base, c)), "i32"))])[0]

        def diff_index(c):
            return b.to_index(b.sub(top, b.convert(b.load(x, b.add_index(base, c)), "i32")))

        total = b.fold(depth, [b.constant(0, "i32")],
                       lambda c, s: [b.add(s[0], b.load(sums, diff_index(c)))])[0]
        scale, bits_over_unit = fp.ir_reciprocal(b, total, 12)
        exponent = b.add(bits_over_unit, b.constant(31 - 8, "i32"))
        with b.loop(depth) as c:
            value = fp.ir_rdbpot(b, fp.ir_srdhm(b, scale, b.load(table, diff_index(c))), exponent)
            value = b.add(value, b.constant(-128, "i32"))
            value = b.minimum(b.maximum(value, b.constant(-128, "i32")), b.constant(127, "i32"))
            b.store(b.convert(value, "i8"), out, b.add_index(base, c))


def _quantize(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    if not _is_float(x):
        raise KernelError(f"requantizing {x.element} to {out.element}")
    q = op.output_quant()
    scale, zero = float(np.float32(q.scales[0])), q.zero_points[0]
    low, high = QRANGE[out.element]
    with b.loop(x.count) as i:
        rounded = round_away(b, b.div(b.load(x, i), b.constant(scale, "f32")))
        value = b.add(b.convert(rounded, "i32"), b.constant(zero, "i32"))
        value = b.minimum(b.maximum(value, b.constant(low, "i32")), b.constant(high, "i32"))
        b.store(b.convert(value, out.element), out, i)


def round_away(b: KernelBuilder, value: Scalar) -> Scalar:
    """std::round on a float: halves away from zero (exact: no x + 0.5 rounding)."""
    whole = b.trunc(value)
    half_up = b.compare("ge", b.abs(b.sub(value, whole)), b.constant(0.5, value.element))
    sign = b.select(b.compare("lt", value, b.constant(0.0, value.element)),
                    b.constant(-1.0, value.element), b.constant(1.0, value.element))
    return b.select(half_up, b.add(whole, sign), whole)


def _dequantize(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    q = op.quant_of(0)
    if q is None or len(q.scales) != 1:
        raise KernelError("dequantize needs one per-tensor scale")
    scale = float(np.float32(q.scales[0]))
    with b.loop(x.count) as i:
        value = b.sub(b.convert(b.load(x, i), "i32"), b.constant(q.zero_points[0], "i32"))
        real = b.mul(b.convert(value, "f64"), b.constant(scale, "f64"))
        b.store(b.convert(real, "f32"), out, i)


def _pool(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
          average: bool) -> None:
    x, out = ins[0], outs[0]
    batches, in_h, in_w, channels = x.shape
    _, out_h, out_w, _ = out.shape
    sh, sw = op.option("stride_h"), op.option("stride_w")
    fh, fw = op.option("filter_h"), op.option("filter_w")
    pad_h = _padding(op, in_h, out_h, sh, 1, fh)
    pad_w = _padding(op, in_w, out_w, sw, 1, fw)
    is_float = _is_float(x)
    acc_type = "f32" if is_float else "i32"
    activation = op.option("activation")
    with b.loop(batches) as n, b.loop(out_h) as oy, b.loop(out_w) as ox, b.loop(channels) as c:
        def rows(fy, acc):
            inside_y, iy = _window(b, oy, sh, pad_h, 1, fy, in_h, out_h, fh)

            def cols(fx, acc2):
                inside_x, ix = _window(b, ox, sw, pad_w, 1, fx, in_w, out_w, fw)
                inside = _both(b, inside_y, inside_x)
                if inside is None:
                    inside = b.compare("eq", b.constant(0, "i32"), b.constant(0, "i32"))
                value = b.convert(b.load(x, _flat(b, x.shape, [n, iy, ix, c])), acc_type)
                if average:
                    zero, one = b.constant(0, acc_type), b.constant(1, acc_type)
                    return [b.add(acc2[0], b.select(inside, value, zero)),
                            b.add(acc2[1], b.select(inside, one, zero))]
                return [b.select(inside, b.maximum(acc2[0], value), acc2[0])]

            return b.fold(fw, acc, cols)

        if average:
            init = [b.constant(0, acc_type), b.constant(0, acc_type)]
        else:
            init = [b.constant(-3.4028234663852886e38 if is_float else QRANGE[x.element][0],
                               acc_type)]
        result = b.fold(fh, init, rows)
        value = result[0]
        if average and is_float:
            value = b.div(value, result[1])
        elif average:  # round half away from zero, as reference_integer_ops::AveragePool
            half = b.div(result[1], b.constant(2, "i32"))
            positive = b.compare("gt", value, b.constant(0, "i32"))
            value = b.div(b.select(positive, b.add(value, half), b.sub(value, half)), result[1])
        index = _flat(b, out.shape, [n, oy, ox, c])
        if is_float:
            b.store(_activation_float(b, value, activation), out, index)
        else:
            q = op.output_quant()
            low, high = _activation_range_q(activation, q.scales[0], q.zero_points[0],
                                            out.element)
            value = b.minimum(b.maximum(value, b.constant(low, "i32")), b.constant(high, "i32"))
            b.store(b.convert(value, out.element), out, index)


KERNELS: dict[str, Callable[[KernelBuilder, tfl.TflOp, list[Buffer], list[Buffer]], None]] = {
    "RESHAPE": _copy,
    "CONV_2D": lambda b, op, i, o: _conv(b, op, i, o, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda b, op, i, o: _conv(b, op, i, o, depthwise=True),
    "FULLY_CONNECTED": _fully_connected,
    "SOFTMAX": _softmax,
    "QUANTIZE": _quantize,
    "DEQUANTIZE": _dequantize,
    "MAX_POOL_2D": lambda b, op, i, o: _pool(b, op, i, o, average=False),
    "AVERAGE_POOL_2D": lambda b, op, i, o: _pool(b, op, i, o, average=True),
}
