"""Integer CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED laid out for LLVM's vectoriser.

The same sums as LiteRT's reference kernels (reference_integer_ops and the uint8 reference),
in orders that vectorise; integer sums wrap modulo 2**32 in any order, so the results are the
reference's bit for bit. Weights are re-packed at compile time minus their zero point, in the
layout each loop reads. The forms of convolution:

- on a SIMD128 target, 1x1 layers with stride 1 and windows of under PATCH_SIZE elements
  (gathered by kernels/tfl/im2col): a register-blocked GEMM (kernels/tfl/pointwise); depthwise
  layers with channels in vector lanes (kernels/tfl/depthwise_simd); one input channel and
  PATCH_SIZE+ taps (microspeech's depthwise layer): output channels in lanes over a
  zero-bordered i16 plane (kernels/tfl/one_channel); FULLY_CONNECTED with few outputs: dot
  products along the depth in lanes (kernels/tfl/dense_simd);
- patch dot products (windows of PATCH_SIZE+ elements and dilation 1: 1x1 layers, one-channel
  filters such as microspeech's): each output pixel's window, minus the input zero point and 0
  outside the input, is copied into an i16 patch; CHANNEL_BLOCK output channels' dot products
  with it share one loop (i16 x i16 -> i32: `i32x4.dot_i16x8_s` on wasm SIMD);
- depthwise (multiplier 1) windows inside the input: the taps unrolled per channel, summed and
  requantised in registers, the loop over channels vectorised;
- every other pixel: an i32 accumulator row over output channels starts at the bias, each tap
  inside the input (tap ranges, no per-tap test for dilation 1) adds to the whole row, then the
  row is requantised.

Requantisation (MultiplyByQuantizedMultiplier) is applied once per output, in vectorisable
loops with shifts only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rune.ir import tfl
from rune.ir import tfl_fixed_point as fp
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.tfl import dense_simd, depthwise_simd, im2col, one_channel, pointwise
from xdsl.ir import SSAValue

#: Input channels whose products are summed before the accumulator row is stored again.
IC_BLOCK = 4
#: Window size (taps x input channels) from which a convolution is computed as dot products
#: of a patch (below, a dot product is too short to vectorise).
PATCH_SIZE = 16
#: Output channels whose dot products with a patch share one pass over it.
CHANNEL_BLOCK = 8
#: Filter taps up to which a depthwise window inside the input is summed with its taps
#: unrolled.
UNROLLED_TAPS = 25


@dataclass(frozen=True)
class Requant:
    """Per-output-channel MultiplyByQuantizedMultiplier, zero point and activation clamp;
    uniform values become constants (wasm's vector shifts take one count for all lanes)."""

    multipliers: list[int]
    lefts: list[int]
    rights: list[int]
    zero: int
    limits: tuple[int, int]

    @classmethod
    def of(cls, reals: list[float], zero: int, limits: tuple[int, int]) -> Requant:
        pairs = [fp.quantize_multiplier(r) for r in reals]
        return cls([m for m, _ in pairs], [max(s, 0) for _, s in pairs],
                   [max(-s, 0) for _, s in pairs], zero, limits)

    def columns(self, b: KernelBuilder) -> list:
        """Per-channel accessors (multiplier, left shift, right shift), built once."""
        return [self._column(b, name, values) for name, values in
                (("multiplier", self.multipliers), ("left", self.lefts), ("right", self.rights))]

    def apply(self, b: KernelBuilder, value: Scalar, c: SSAValue, columns: list,
              element: str) -> Scalar:
        """The output element of channel c for the i32 accumulator `value`."""
        mult, left, right = (column(c) for column in columns)
        value = b.shift_left(value, left) if left is not None else value
        value = srdhm_positive(b, value, mult)
        if right is not None:
            value = fp.ir_rdbpot(b, value, right)
        value = b.add(value, b.constant(self.zero, "i32"))
        value = b.maximum(value, b.constant(self.limits[0], "i32"))
        value = b.minimum(value, b.constant(self.limits[1], "i32"))
        return b.convert(value, element)

    def store_row(self, b: KernelBuilder, acc: Buffer, out: Buffer, base: SSAValue) -> None:
        """out[base + c] = requantised acc[c] for every channel c (one vectorisable loop)."""
        columns = self.columns(b)
        with b.loop(acc.count) as c:
            b.store(self.apply(b, b.load(acc, c), c, columns, out.element), out,
                    b.add_index(base, c))

    @staticmethod
    def _column(b: KernelBuilder, name: str, values: list[int]):
        """c -> the value for channel c: a constant when uniform (None for a zero shift)."""
        if len(set(values)) == 1:
            if name != "multiplier" and values[0] == 0:
                return lambda c: None
            constant = b.constant(values[0], "i32")
            return lambda c: constant
        table = b.table(name, np.array(values), "i32")
        return lambda c: b.load(table, c)


def srdhm_positive(b: KernelBuilder, x: Scalar, multiplier: Scalar) -> Scalar:
    """SaturatingRoundingDoublingHighMul for a multiplier from QuantizeMultiplier (>= 0, never
    INT32_MIN, so it never saturates): (x*m + 2**30) >> 31. The reference nudges negative
    products by 1 - 2**30 and divides toward zero; for x*m < 0 that is
    ceil((x*m + 1 - 2**30) / 2**31) = floor((x*m + 2**30) / 2**31), the same shift, so the
    vector code needs no select and no division."""
    wide = b.mul(b.convert(x, "i64"), b.convert(multiplier, "i64"))
    rounded = b.add(wide, b.constant(1 << 30, "i64"))
    return b.convert(b.shift_right(rounded, b.constant(31, "i64")), "i32")


def packed_weights(b: KernelBuilder, values: np.ndarray) -> Buffer:
    """Offset-corrected weights as i8 when they fit (int8 models) or i16 (uint8 models)."""
    element = "i8" if values.min() >= -128 and values.max() <= 127 else "i16"
    return b.table("packed", values, element)


def tap_inside(b: KernelBuilder, out_coord: SSAValue, stride: int, pad: int, dilation: int,
               tap: SSAValue, size: int) -> tuple[SSAValue, SSAValue]:
    """(0 <= coord < size, coord) for the input coordinate out*stride - pad + tap*dilation."""
    coord = b.add(b.mul(b.from_index(out_coord), b.constant(stride, "i32")),
                  b.mul(b.from_index(tap), b.constant(dilation, "i32")))
    coord = b.add(coord, b.constant(-pad, "i32"))
    return within(b, coord, (0, size)), b.to_index(coord)


def convolution(b: KernelBuilder, op: tfl.TflOp, x: Buffer, out: Buffer, depthwise: bool,
                geometry: dict, requant: Requant, input_zero: int) -> None:
    """CONV_2D / DEPTHWISE_CONV_2D on integers; `geometry` holds strides, dilations, pads."""
    weights = op.constant(1).astype(np.int64)
    bias = op.constant(2)
    filter_zero = geometry["filter_zero"]
    batches, in_h, in_w, in_c = x.shape
    _, out_h, out_w, out_c = out.shape
    if depthwise:  # [1][fh][fw][out]: already output-channel innermost
        _, f_h, f_w, _ = weights.shape
        packed = weights - filter_zero
    else:  # [out][fh][fw][in] -> [fh][fw][in][out]
        _, f_h, f_w, _ = weights.shape
        packed = np.transpose(weights - filter_zero, (1, 2, 3, 0))
    plain_bias = bias if bias is not None else np.zeros(out_c, np.int64)
    # the vector paths load x as vectors, which a fused input (x.steps) cannot give
    if pointwise.applies(b, depthwise, (f_h, f_w), geometry) and not x.steps:
        pointwise.pointwise(b, x, out, (weights - filter_zero).reshape(out_c, in_c),
                            plain_bias, requant, input_zero)
        return
    if b.simd and (in_c == 1 or not depthwise) and f_h * f_w * in_c < PATCH_SIZE:
        by_channel = np.transpose(weights - filter_zero, (3, 1, 2, 0) if depthwise
                                  else (0, 1, 2, 3)).reshape(out_c, f_h * f_w * in_c)
        im2col.convolution(b, x, out, by_channel, plain_bias, requant, input_zero, geometry,
                           (f_h, f_w), _interior(geometry, x.shape, out.shape, (f_h, f_w)))
        return
    if one_channel.applies(b, in_c, out_c, geometry) and f_h * f_w >= PATCH_SIZE:
        by_tap = np.transpose(weights - filter_zero, (1, 2, 0, 3) if depthwise else (1, 2, 3, 0))
        if one_channel.convolution(b, x, out, by_tap.reshape(f_h, f_w, out_c), plain_bias,
                                   requant, input_zero, geometry):
            return
    if depthwise and f_h * f_w <= UNROLLED_TAPS and not x.steps \
            and depthwise_simd.applies(b, out_c, out_c // in_c, requant):
        depthwise_simd.convolution(b, x, out, packed, plain_bias, requant, input_zero,
                                   geometry, _interior(geometry, x.shape, out.shape, (f_h, f_w)))
        return
    bias_table = b.table("bias", bias if bias is not None else np.zeros(out_c), "i32")
    acc = b.state("acc", out_c, "i32")
    zero = b.constant(input_zero, "i32")
    multiplier = out_c // in_c
    if (in_c == 1 or not depthwise) and f_h * f_w * in_c >= PATCH_SIZE \
            and geometry["dh"] == geometry["dw"] == 1:
        by_channel = np.transpose(weights - filter_zero, (3, 1, 2, 0) if depthwise
                                  else (0, 1, 2, 3)).reshape(out_c, f_h * f_w * in_c)
        _patch_convolution(b, x, out, b.table("packed", by_channel, "i16"), bias_table, acc,
                           geometry, requant, zero, (f_h, f_w))
        return

    def tap(n, iy, ix, fy, fx) -> None:
        base = b.mul_index(b.add_index(b.mul_index(b.add_index(b.mul_index(n, in_h), iy),
                                                   in_w), ix), in_c)
        row = b.mul_index(b.add_index(b.mul_index(fy, f_w), fx), out_c if depthwise
                          else in_c * out_c)
        if depthwise and multiplier == 1:
            with b.loop(out_c) as c:
                value = b.sub(b.convert(b.load(x, b.add_index(base, c)), "i32"), zero)
                _accumulate(b, acc, c, [(value, packed, b.add_index(row, c))])
            return
        if depthwise:
            with b.loop(in_c) as ic:
                value = b.sub(b.convert(b.load(x, b.add_index(base, ic)), "i32"), zero)
                first = b.mul_index(ic, multiplier)
                with b.loop(multiplier) as m:
                    oc = b.add_index(first, m)
                    _accumulate(b, acc, oc, [(value, packed, b.add_index(row, oc))])
            return
        _channel_blocks(b, x, base, zero, in_c, out_c, packed, row, acc)

    packed = packed_weights(b, packed)
    interior = _interior(geometry, x.shape, out.shape, (f_h, f_w)) \
        if depthwise and multiplier == 1 and f_h * f_w <= UNROLLED_TAPS else None
    with b.loop(batches) as n, b.loop(out_h) as oy, b.loop(out_w) as ox:
        def general(n=n, oy=oy, ox=ox) -> None:
            with b.loop(out_c) as c:
                b.store(b.load(bias_table, c), acc, c)

            def each(iy, ix, fy, fx, carried):
                tap(n, iy, ix, fy, fx)
                return carried

            fold_taps(b, (oy, ox), geometry, x.shape, (f_h, f_w), [], each)
            pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out_h), oy), out_w), ox)
            requant.store_row(b, acc, out, b.mul_index(pixel, out_c))

        if interior is None:
            general()
        else:
            inside = b.bool_and(between(b, oy, interior[0]), between(b, ox, interior[1]))
            b.when(inside, lambda n=n, oy=oy, ox=ox: _unrolled_taps(
                b, x, out, packed, bias_table, requant, zero, (n, oy, ox), geometry,
                (f_h, f_w)))
            b.when(b.negate_bool(inside), general)


def _interior(geometry: dict, in_shape: tuple, out_shape: tuple,
              taps: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The output rows and columns [first, last) whose whole window lies inside the input."""
    ranges = []
    for axis, (stride, dilation, pad) in enumerate(
            ((geometry["sh"], geometry["dh"], geometry["pad_h"]),
             (geometry["sw"], geometry["dw"], geometry["pad_w"]))):
        size, outs, span = in_shape[1 + axis], out_shape[1 + axis], (taps[axis] - 1) * dilation
        first = -(-pad // stride)
        last = min(outs, (size - 1 - span + pad) // stride + 1)
        if last <= first:
            return None
        ranges.append((first, last))
    return ranges[0], ranges[1]


def within(b: KernelBuilder, value: SSAValue, bounds: tuple[int, int]) -> SSAValue:
    """bounds[0] <= value < bounds[1] for an i32 value."""
    return b.bool_and(b.compare("ge", value, b.constant(bounds[0], "i32")),
                      b.compare("lt", value, b.constant(bounds[1], "i32")))


def between(b: KernelBuilder, coord: SSAValue, bounds: tuple[int, int]) -> SSAValue:
    """bounds[0] <= coord < bounds[1] for an index."""
    return within(b, b.from_index(coord), bounds)


def _unrolled_taps(b: KernelBuilder, x: Buffer, out: Buffer, packed: Buffer, bias: Buffer,
                   requant: Requant, zero: Scalar, pos: tuple, geometry: dict,
                   taps: tuple[int, int]) -> None:
    """A depthwise output pixel (multiplier 1) whose window lies inside the input: per
    channel, the taps unrolled into one sum kept in a register and requantised at once, so the
    loop over channels vectorises with no accumulator in memory."""
    n, oy, ox = pos
    _, in_h, in_w, channels = x.shape
    f_h, f_w = taps
    top = b.add_index(b.mul_index(oy, geometry["sh"]), -geometry["pad_h"])
    left = b.add_index(b.mul_index(ox, geometry["sw"]), -geometry["pad_w"])
    pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out.shape[1]), oy),
                                    out.shape[2]), ox)
    columns = requant.columns(b)
    with b.loop(channels) as c:
        total = b.load(bias, c)
        for fy in range(f_h):
            row = b.mul_index(b.add_index(b.mul_index(n, in_h),
                                          b.add_index(top, fy * geometry["dh"])), in_w)
            for fx in range(f_w):
                at = b.mul_index(b.add_index(row, b.add_index(left, fx * geometry["dw"])),
                                 channels)
                value = b.sub(b.convert(b.load(x, b.add_index(at, c)), "i32"), zero)
                weight = b.load(packed, b.add_index(c, (fy * f_w + fx) * channels))
                total = b.add(total, b.mul(value, b.convert(weight, "i32")))
        b.store(requant.apply(b, total, c, columns, out.element), out,
                b.add_index(b.mul_index(pixel, channels), c))


def tap_range(b: KernelBuilder, out_coord: SSAValue, stride: int, pad: int, taps: int,
              size: int) -> tuple[SSAValue, SSAValue]:
    """[first, last) taps whose input coordinate out*stride - pad + tap lies inside the input
    (dilation 1), so the loops over taps need no test."""
    start = b.sub(b.constant(pad, "i32"), b.mul(b.from_index(out_coord),
                                                 b.constant(stride, "i32")))
    first = b.maximum(start, b.constant(0, "i32"))
    last = b.minimum(b.add(start, b.constant(size, "i32")), b.constant(taps, "i32"))
    return b.to_index(first), b.to_index(b.maximum(last, first))


def fold_taps(b: KernelBuilder, out_pos: tuple, geometry: dict, in_shape: tuple,
              taps: tuple[int, int], init: list[Scalar], body) -> list[Scalar]:
    """Carry `init` through body(iy, ix, fy, fx, carried) -> carried over every filter tap of
    the output position that lies inside the input (the reference skips the others)."""
    (oy, ox), (f_h, f_w), (_, in_h, in_w, _) = out_pos, taps, in_shape
    sh, sw, dh, dw = geometry["sh"], geometry["sw"], geometry["dh"], geometry["dw"]
    pad_h, pad_w = geometry["pad_h"], geometry["pad_w"]
    if dh == 1 and dw == 1:
        y0, y1 = tap_range(b, oy, sh, pad_h, f_h, in_h)
        x0, x1 = tap_range(b, ox, sw, pad_w, f_w, in_w)

        def row(fy, carried):
            iy = b.add_index(b.mul_index(oy, sh), b.add_index(fy, -pad_h))
            return b.fold(x1, carried, lambda fx, inner: body(
                iy, b.add_index(b.mul_index(ox, sw), b.add_index(fx, -pad_w)), fy, fx, inner),
                lower=x0)

        return b.fold(y1, init, row, lower=y0)

    def dilated_row(fy, carried):
        inside_y, iy = tap_inside(b, oy, sh, pad_h, dh, fy, in_h)

        def column(fx, inner):
            inside_x, ix = tap_inside(b, ox, sw, pad_w, dw, fx, in_w)
            return b.if_else(b.bool_and(inside_y, inside_x),
                             lambda: body(iy, ix, fy, fx, inner), lambda: inner)

        return b.fold(f_w, carried, column)

    return b.fold(f_h, init, dilated_row)


def _accumulate(b: KernelBuilder, acc: Buffer, c: SSAValue,
                terms: list[tuple[Scalar, Buffer, SSAValue]]) -> None:
    """acc[c] += sum of value * table[index] over the terms."""
    total = b.load(acc, c)
    for value, table, index in terms:
        total = b.add(total, b.mul(value, b.convert(b.load(table, index), "i32")))
    b.store(total, acc, c)


def _channel_blocks(b: KernelBuilder, x: Buffer, base: SSAValue, zero: Scalar, in_c: int,
                    out_c: int, packed: Buffer, row: SSAValue, acc: Buffer) -> None:
    """acc[oc] += sum over ic of (x[base + ic] - zero) * packed[row + ic*out_c + oc], IC_BLOCK
    input channels per pass over the accumulator row."""

    def block(first: SSAValue, count: int) -> None:
        values, rows = [], []
        for k in range(count):
            ic = b.add_index(first, k)
            values.append(b.sub(b.convert(b.load(x, b.add_index(base, ic)), "i32"), zero))
            rows.append(b.add_index(row, b.mul_index(ic, out_c)))
        with b.loop(out_c) as oc:
            _accumulate(b, acc, oc, [(v, packed, b.add_index(r, oc))
                                     for v, r in zip(values, rows, strict=True)])

    in_blocks(b, in_c, IC_BLOCK, block)


def in_blocks(b: KernelBuilder, count: int, size: int, body) -> None:
    """body(first, n) over [0, count) in blocks of `size` (a loop), then the remainder."""
    whole = count - count % size
    if whole:
        with b.loop(whole, step=size) as first:
            body(first, size)
    if count % size:
        body(b.index(whole), count % size)


def fully_connected(b: KernelBuilder, op: tfl.TflOp, x: Buffer, out: Buffer,
                    requant: Requant, input_zero: int, filter_zero: int) -> None:
    """out[n][o] = requant(bias[o] + sum_d (x[n][d] - input_zero) * (w[o][d] - filter_zero)).
    With no padding the input zero point folds into the bias at compile time
    (bias[o] - input_zero * sum_d w'[o][d]), so the loop over the contiguous depth is a pure
    multiply-accumulate of the stored elements, vectorised as a reduction."""
    weights = op.constant(1).astype(np.int64) - filter_zero
    bias = op.constant(2)
    units, depth = weights.shape
    batches = x.count // depth
    folded = (bias if bias is not None else np.zeros(units)).astype(np.int64) \
        - input_zero * weights.sum(axis=1)
    if dense_simd.applies(b, x, units, depth):
        dense_simd.fully_connected(b, x, out, weights, _wrap_i32(folded), requant)
        return
    packed = packed_weights(b, weights)
    bias_table = b.table("bias", _wrap_i32(folded), "i32")
    acc = b.state("acc", units, "i32")
    with b.loop(batches) as n:
        base = b.mul_index(n, depth)
        with b.loop(units) as o:
            row = b.mul_index(o, depth)

            def step(d, total):
                value = b.convert(b.load(x, b.add_index(base, d)), "i32")
                weight = b.convert(b.load(packed, b.add_index(row, d)), "i32")
                return [b.add(total[0], b.mul(value, weight))]

            b.store(b.fold(depth, [b.load(bias_table, o)], step)[0], acc, o)
        requant.store_row(b, acc, out, b.mul_index(n, units))


def _wrap_i32(values: np.ndarray) -> np.ndarray:
    """int64 values as the int32 the reference's wrapping sums hold."""
    return ((values + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def _patch_convolution(b: KernelBuilder, x: Buffer, out: Buffer, by_channel: Buffer,
                       bias: Buffer, acc: Buffer, geometry: dict, requant: Requant,
                       zero: Scalar, taps: tuple[int, int]) -> None:
    """One input channel (microspeech's depthwise layer, an image's first convolution): the
    window of each output pixel is copied once, minus the input zero point and 0 outside the
    input, into an i16 patch; each output channel is then a dot product of the patch with
    that channel's filter ([out][fh*fw], i16), a vectorised reduction."""
    batches, in_h, in_w, in_c = x.shape
    _, out_h, out_w, out_c = out.shape
    f_h, f_w = taps
    size = f_h * f_w * in_c
    patch = b.state("patch", size, "i16")
    sh, sw = geometry["sh"], geometry["sw"]
    pad_h, pad_w = geometry["pad_h"], geometry["pad_w"]
    interior = _interior(geometry, x.shape, out.shape, taps)

    def fill(n, oy, ox, ranges) -> None:
        """patch[fy][fx] = x - zero over the taps in `ranges` ((first, last) index pairs)."""
        (y0, y1), (x0, x1) = ranges
        with b.loop(y1, y0) as fy:
            iy = b.add_index(b.mul_index(oy, sh), b.add_index(fy, -pad_h))
            row = b.add_index(b.mul_index(b.add_index(b.mul_index(n, in_h), iy), in_w),
                              b.add_index(b.mul_index(ox, sw), -pad_w))
            with b.loop(x1, x0) as fx:
                source = b.mul_index(b.add_index(row, fx), in_c)
                target = b.mul_index(b.add_index(b.mul_index(fy, f_w), fx), in_c)
                with b.loop(in_c) as ic:
                    value = b.sub(b.convert(b.load(x, b.add_index(source, ic)), "i32"), zero)
                    b.store(b.convert(value, "i16"), patch, b.add_index(target, ic))

    def border(n, oy, ox) -> None:
        with b.loop(size) as t:
            b.store(b.constant(0, "i16"), patch, t)
        fill(n, oy, ox, (tap_range(b, oy, sh, pad_h, f_h, in_h),
                         tap_range(b, ox, sw, pad_w, f_w, in_w)))

    everywhere = ((b.index(0), b.index(f_h)), (b.index(0), b.index(f_w)))
    with b.loop(batches) as n, b.loop(out_h) as oy, b.loop(out_w) as ox:
        if interior is None:
            border(n, oy, ox)
        elif interior == ((0, out_h), (0, out_w)):  # no window reaches outside the input
            fill(n, oy, ox, everywhere)
        else:  # inside the input: every tap, with constant trip counts (vector copies)
            inside = b.bool_and(between(b, oy, interior[0]), between(b, ox, interior[1]))
            b.when(inside, lambda n=n, oy=oy, ox=ox: fill(n, oy, ox, everywhere))
            b.when(b.negate_bool(inside), lambda n=n, oy=oy, ox=ox: border(n, oy, ox))
        def dots(first: SSAValue, count: int) -> None:
            """acc[first + k] = bias + patch . filter[first + k], k < count, in one loop."""
            rows = [b.mul_index(b.add_index(first, k), size) for k in range(count)]

            def step(t, totals):
                value = b.convert(b.load(patch, t), "i32")
                return [b.add(total, b.mul(value, b.convert(
                    b.load(by_channel, b.add_index(row, t)), "i32")))
                        for total, row in zip(totals, rows, strict=True)]

            init = [b.load(bias, b.add_index(first, k)) for k in range(count)]
            for k, total in enumerate(b.fold(size, init, step)):
                b.store(total, acc, b.add_index(first, k))

        in_blocks(b, out_c, CHANNEL_BLOCK, dots)
        pixel = b.add_index(b.mul_index(b.add_index(b.mul_index(n, out_h), oy), out_w), ox)
        requant.store_row(b, acc, out, b.mul_index(pixel, out_c))
