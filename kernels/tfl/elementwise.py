"""Kernels for element-wise tfl ops (ADD, SUB, MUL, SQUARED_DIFFERENCE with broadcasting; RSQRT,
LOGISTIC, TANH, RELU, RELU6) and MEAN.

Integer arithmetic follows LiteRT's reference kernels: ADD/SUB rescale both inputs to a common
scale with a left shift of 20 (reference_integer_ops::Add), MUL multiplies the offset inputs and
rescales once, LOGISTIC and TANH read a 256-entry table computed as LiteRT computes its own
(float32, round half away from zero), RELU/RELU6 rescale and clamp (QuantizedReluX), MEAN
rescales the offset sum by a multiplier that absorbs 1/count (reference_ops::QuantizedMeanOrSum).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from math import prod

import numpy as np
from rune.ir import tfl
from rune.ir import tfl_fixed_point as fp
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl.layout import operand_buffers, strides
from rune.kernels.tfl.ops import (
    QRANGE,
    KernelError,
    _activation_float,
    _activation_range_q,
    _is_float,
)


def broadcast(b: KernelBuilder, out: Buffer, sources: list[Buffer],
              body: Callable[[list[Scalar]], Scalar]) -> None:
    """out[i] = body(source values at i), numpy broadcasting (sources right-aligned)."""
    if all(s.count == out.count for s in sources):
        with b.loop(out.count) as i:
            b.store(body([b.load(s, i) for s in sources]), out, i)
        return
    rank = len(out.shape)
    maps = []
    for s in sources:
        shape = (1,) * (rank - len(s.shape)) + tuple(s.shape)
        step = strides(shape)
        maps.append([np.arange(n) * (step[d] if shape[d] > 1 else 0)
                     for d, n in enumerate(out.shape)])
    tables = [[b.table(f"bcast{k}_{d}", m, "i32") for d, m in enumerate(ms)]
              for k, ms in enumerate(maps)]
    with ExitStack() as stack:
        indices = [stack.enter_context(b.loop(n)) for n in out.shape]
        values = []
        for source, source_tables in zip(sources, tables, strict=True):
            offset = b.constant(0, "i32")
            for table, index in zip(source_tables, indices, strict=True):
                offset = b.add(offset, b.load(table, index))
            values.append(b.load(source, b.to_index(offset)))
        flat = indices[0]
        for size, index in zip(out.shape[1:], indices[1:], strict=True):
            flat = b.add_index(b.mul_index(flat, size), index)
        b.store(body(values), out, flat)


def _scalar_quant(op: tfl.TflOp, position: int) -> tuple[float, int]:
    q = op.quant_of(position)
    if q is None or len(q.scales) != 1:
        raise KernelError(f"tensor {position} needs one per-tensor scale")
    return float(np.float32(q.scales[0])), q.zero_points[0]


def _clamp(b: KernelBuilder, value: Scalar, limits: tuple[int, int]) -> Scalar:
    value = b.maximum(value, b.constant(limits[0], "i32"))
    return b.minimum(value, b.constant(limits[1], "i32"))


def _mbqm(b: KernelBuilder, value: Scalar, real: float) -> Scalar:
    multiplier, shift = fp.quantize_multiplier(real)
    return fp.ir_multiply_by_quantized_multiplier(b, value, b.constant(multiplier, "i32"),
                                                  b.constant(shift, "i32"))


def _binary(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
            kind: str) -> None:
    out = outs[0]
    sources = operand_buffers(b, op, ins, out.element, 2)
    activation = op.option("activation") if kind in ("ADD", "SUB", "MUL") else "NONE"
    if _is_float(out):
        def body(v):
            if kind == "ADD":
                r = b.add(v[0], v[1])
            elif kind == "SUB":
                r = b.sub(v[0], v[1])
            elif kind == "MUL":
                r = b.mul(v[0], v[1])
            else:
                d = b.sub(v[0], v[1])
                r = b.mul(d, d)
            return _activation_float(b, r, activation)
        broadcast(b, out, sources, body)
        return
    if kind == "SQUARED_DIFFERENCE":
        raise KernelError("integer SQUARED_DIFFERENCE is not compiled")
    (s1, z1), (s2, z2), (so, zo) = (_scalar_quant(op, i) for i in (0, 1, 2))
    limits = _activation_range_q(activation, so, zo, out.element)

    def quantized(v):
        a = b.sub(b.convert(v[0], "i32"), b.constant(z1, "i32"))
        c = b.sub(b.convert(v[1], "i32"), b.constant(z2, "i32"))
        if kind == "MUL":
            r = _mbqm(b, b.mul(a, c), s1 * s2 / so)
        else:
            twice_max = 2 * max(s1, s2)
            shift = b.constant(20, "i32")
            a = _mbqm(b, b.shift_left(a, shift), s1 / twice_max)
            c = _mbqm(b, b.shift_left(c, shift), s2 / twice_max)
            total = b.add(a, c) if kind == "ADD" else b.sub(a, c)
            r = _mbqm(b, total, twice_max / ((1 << 20) * so))
        r = _clamp(b, b.add(r, b.constant(zo, "i32")), limits)
        return b.convert(r, out.element)

    broadcast(b, out, sources, quantized)


def _lut(op: tfl.TflOp, element: str, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """LiteRT's LUTPopulate: dequantize, transform and requantize every 8-bit value in float32."""
    f32 = np.float32
    (s_in, z_in), (s_out, z_out) = _scalar_quant(op, 0), _scalar_quant(op, 1)
    low, high = QRANGE[element]
    values = np.arange(low, high + 1)
    dequantized = f32(s_in) * (values - z_in).astype(f32)
    transformed = fn(dequantized).astype(f32)
    scaled = transformed * (f32(1) / f32(s_out))
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + f32(0.5))
    return np.clip((rounded + f32(z_out)).astype(np.int64), low, high)


def _unary(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
           kind: str) -> None:
    x, out = ins[0], outs[0]
    if _is_float(x):
        def body(v):
            value = v[0]
            one = b.constant(1.0, "f32")
            if kind == "RSQRT":
                return b.div(one, b.sqrt(value))
            if kind == "LOGISTIC":
                return b.div(one, b.add(one, b.exp(b.negate(value))))
            if kind == "TANH":
                t = b.exp(b.mul(b.abs(value), b.constant(-2.0, "f32")))
                r = b.div(b.sub(one, t), b.add(one, t))
                return b.select(b.compare("lt", value, b.constant(0.0, "f32")), b.negate(r), r)
            return _activation_float(b, value, kind)
        broadcast(b, out, [x], body)
        return
    if kind in ("LOGISTIC", "TANH") and x.element in ("i8", "u8"):
        fn = (lambda v: 1 / (1 + np.exp(-v))) if kind == "LOGISTIC" else np.tanh
        table = b.table("lut", _lut(op, x.element, fn), "i32")
        low = QRANGE[x.element][0]
        with b.loop(x.count) as i:
            index = b.sub(b.convert(b.load(x, i), "i32"), b.constant(low, "i32"))
            b.store(b.convert(b.load(table, b.to_index(index)), out.element), out, i)
        return
    if kind in ("RELU", "RELU6"):
        (s_in, z_in), (s_out, z_out) = _scalar_quant(op, 0), _scalar_quant(op, 1)
        low, high = QRANGE[out.element]
        limits = (max(low, z_out + fp.tf_round(0.0)),
                  high if kind == "RELU" else min(high, z_out + fp.tf_round(
                      float(np.float32(6.0) / np.float32(s_out)))))
        with b.loop(x.count) as i:
            value = b.sub(b.convert(b.load(x, i), "i32"), b.constant(z_in, "i32"))
            value = b.add(_mbqm(b, value, s_in / s_out), b.constant(z_out, "i32"))
            b.store(b.convert(_clamp(b, value, limits), out.element), out, i)
        return
    raise KernelError(f"integer {kind} is not compiled")


def _mean(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    rank = len(x.shape)
    axes = sorted({int(a) % rank for a in op.constant(1).reshape(-1)})
    kept = [d for d in range(rank) if d not in axes]
    count = prod(x.shape[d] for d in axes)
    x_strides = strides(x.shape)
    acc_type = "f32" if _is_float(x) else "i32"
    with ExitStack() as stack:
        outer = [stack.enter_context(b.loop(x.shape[d])) for d in kept]
        base = b.index(0)
        for d, index in zip(kept, outer, strict=True):
            base = b.add_index(base, b.mul_index(index, x_strides[d]))

        def summed(level: int, position, acc: list[Scalar]) -> list[Scalar]:
            if level == len(axes):
                value = b.convert(b.load(x, position), acc_type)
                return [b.add(acc[0], value)]
            d = axes[level]
            return b.fold(x.shape[d], acc, lambda i, a: summed(
                level + 1, b.add_index(position, b.mul_index(i, x_strides[d])), a))

        total = summed(0, base, [b.constant(0, acc_type)])[0]
        flat = outer[0] if outer else b.index(0)
        for d, index in zip(kept[1:], outer[1:], strict=True):
            flat = b.add_index(b.mul_index(flat, x.shape[d]), index)
        if _is_float(x):
            b.store(b.div(total, b.constant(float(count), "f32")), out, flat)
            return
        # reference_ops::QuantizedMeanOrSum: the multiplier for in/out absorbs 1/count
        (s_in, z_in), (s_out, z_out) = _scalar_quant(op, 0), _scalar_quant(op, op.slot_count())
        multiplier, shift = fp.quantize_multiplier(s_in / s_out)
        extra = min(count.bit_length() - 1, 32, 31 + shift)
        multiplier, shift = (multiplier << extra) // count, shift - extra
        total = b.sub(total, b.constant(z_in * count, "i32"))
        total = fp.ir_multiply_by_quantized_multiplier(
            b, total, b.constant(multiplier, "i32"), b.constant(shift, "i32"))
        total = _clamp(b, b.add(total, b.constant(z_out, "i32")), QRANGE[out.element])
        b.store(b.convert(total, out.element), out, flat)


KERNELS = {
    **{kind: (lambda k: lambda b, op, i, o: _binary(b, op, i, o, k))(kind)
       for kind in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE")},
    **{kind: (lambda k: lambda b, op, i, o: _unary(b, op, i, o, k))(kind)
       for kind in ("RSQRT", "LOGISTIC", "TANH", "RELU", "RELU6")},
    "MEAN": _mean,
}
