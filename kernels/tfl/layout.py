"""Kernels for tfl ops that only move elements: PAD, MIRROR_PAD, STRIDED_SLICE, CONCATENATION,
RESIZE_NEAREST_NEIGHBOR.

Each is one gather: output element (i0, ..., ir) reads the input at the sum of per-dimension
offsets, tables computed at compile time from the op's constants (a negative sum means padding).
The reference kernels compute the same index maps, so these are exact for every element type.
"""

from __future__ import annotations

from contextlib import ExitStack
from math import prod

import numpy as np
from rune.ir import tfl
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.tfl.ops import KernelError

# An offset that makes a sum negative (the element is padding): up to 8 of them still fit i32,
# and no input offset reaches its magnitude.
OUTSIDE = -(1 << 27)


def gather(b: KernelBuilder, source: Buffer, out: Buffer, maps: list[np.ndarray],
           fill: float | int | None = None) -> None:
    """out[i0..ir] = source[sum(maps[d][i_d])], or `fill` where that sum is negative."""
    if source.count >= -OUTSIDE or len(maps) > 8:
        raise KernelError(f"a gather from {source.count} elements in {len(maps)} dimensions")
    tables = [b.table(f"map{d}", m.astype(np.int64), "i32") for d, m in enumerate(maps)]
    with ExitStack() as stack:
        indices = [stack.enter_context(b.loop(len(m))) for m in maps]
        offset = b.constant(0, "i32")
        for table, index in zip(tables, indices, strict=True):
            offset = b.add(offset, b.load(table, index))
        flat = indices[0]
        for size, index in zip([len(m) for m in maps][1:], indices[1:], strict=True):
            flat = b.add_index(b.mul_index(flat, size), index)
        if fill is None:
            b.store(b.load(source, b.to_index(offset)), out, flat)
            return
        inside = b.compare("ge", offset, b.constant(0, "i32"))
        clamped = b.maximum(offset, b.constant(0, "i32"))
        value = b.load(source, b.to_index(clamped))
        b.store(b.select(inside, value, b.constant(fill, out.element)), out, flat)


def strides(shape: tuple[int, ...]) -> list[int]:
    return [prod(shape[d + 1:]) for d in range(len(shape))]


def _pad_fill(op: tfl.TflOp, out: Buffer) -> float | int:
    q = op.output_quant()
    if out.element == "f32" or q is None:
        return 0.0 if out.element == "f32" else 0
    return q.zero_points[0]


def _pad(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer],
         mirror: bool) -> None:
    x, out = ins[0], outs[0]
    pads = op.constant(1).reshape(-1, 2)
    if len(pads) != len(x.shape):
        raise KernelError(f"{len(pads)} paddings for a rank-{len(x.shape)} input")
    symmetric = mirror and op.option("mode") == "SYMMETRIC"
    maps = []
    for size, stride, (before, _), out_size in zip(x.shape, strides(x.shape), pads, out.shape,
                                                   strict=True):
        index = np.arange(out_size) - before
        if mirror:
            index = np.where(index < 0, -index - (1 if symmetric else 0), index)
            index = np.where(index >= size, 2 * size - index - (1 if symmetric else 2), index)
            maps.append(index * stride)
        else:
            inside = (index >= 0) & (index < size)
            maps.append(np.where(inside, index * stride, OUTSIDE))
    gather(b, x, out, maps, None if mirror else _pad_fill(op, out))


def _strided_slice(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer],
                   outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    begin, end, step = (op.constant(s).reshape(-1) for s in (1, 2, 3))
    if op.option("ellipsis_mask") or op.option("new_axis_mask"):
        raise KernelError("ellipsis and new-axis masks are not compiled")
    maps = []
    for d, (size, stride) in enumerate(zip(x.shape, strides(x.shape), strict=True)):
        s = int(step[d]) if d < len(step) else 1
        start = int(begin[d]) if d < len(begin) else 0
        stop = int(end[d]) if d < len(end) else size
        if op.option("begin_mask") >> d & 1 or d >= len(begin):
            start = 0 if s > 0 else size - 1
        if op.option("end_mask") >> d & 1 or d >= len(end):
            stop = size if s > 0 else -size - 1
        start, stop, s = slice(start, stop, s).indices(size)
        if op.option("shrink_axis_mask") >> d & 1:
            stop, s = start + 1, 1
        maps.append(np.arange(start, stop, s) * stride)
    if prod(len(m) for m in maps) != out.count:
        raise KernelError(f"the slice has {prod(len(m) for m in maps)} elements, the output "
                          f"{out.count}")
    gather(b, x, _reshaped(out, tuple(len(m) for m in maps)), maps)


def _reshaped(buffer: Buffer, shape: tuple[int, ...]) -> Buffer:
    return Buffer(buffer.value, buffer.element, shape, buffer.steps)


def _concatenation(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer],
                   outs: list[Buffer]) -> None:
    out = outs[0]
    axis = op.option("axis") % len(out.shape)
    if op.option("activation") != "NONE":
        raise KernelError("a fused activation on CONCATENATION is not compiled")
    out_q = op.output_quant()
    sources = operand_buffers(b, op, ins, out.element)
    for slot in range(op.slot_count()):
        q = op.quant_of(slot)
        if out_q is not None and (q is None or (q.scales, q.zero_points)
                                  != (out_q.scales, out_q.zero_points)):
            raise KernelError("concatenating tensors of different quantisation is not compiled")
    outer = prod(out.shape[:axis])
    inner = prod(out.shape[axis + 1:])
    position = 0
    for source in sources:
        block = source.shape[axis] * inner
        with b.loop(outer) as o, b.loop(block) as i:
            value = b.load(source, b.add_index(b.mul_index(o, block), i))
            target = b.add_index(b.mul_index(o, out.shape[axis] * inner), position)
            b.store(value, out, b.add_index(target, i))
        position += block


def operand_buffers(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], element: str,
                    slots: int | None = None) -> list[Buffer]:
    """The first `slots` input slots as buffers: the kernel's operands, or tables holding the
    constants (as `element`)."""
    sources = []
    operands = iter(ins)
    for slot in range(op.slot_count() if slots is None else slots):
        array = op.constant(slot)
        if array is None:
            sources.append(next(operands))
        else:
            table = b.table(f"const{slot}", array, element)
            sources.append(_reshaped(table, tuple(array.shape) or (1,)))
    return sources


def _resize_nearest(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer],
                    outs: list[Buffer]) -> None:
    """reference_ops::ResizeNearestNeighbor's GetNearestNeighbor, per output row and column."""
    x, out = ins[0], outs[0]
    align = bool(op.option("align_corners"))
    half = bool(op.option("half_pixel_centers"))
    _, in_h, in_w, channels = x.shape
    batch, out_h, out_w, _ = out.shape

    def nearest(size_in: int, size_out: int) -> np.ndarray:
        f32 = np.float32
        if align and size_out > 1:
            scale = f32(size_in - 1) / f32(size_out - 1)
        else:
            scale = f32(size_in) / f32(size_out)
        offset = f32(0.5 if half else 0.0)
        values = (np.arange(size_out, dtype=f32) + offset) * scale
        if align:
            picked = np.sign(values) * np.floor(np.abs(values) + f32(0.5))
        else:
            picked = np.floor(values)
        picked = np.minimum(picked.astype(np.int64), size_in - 1)
        return np.maximum(picked, 0) if half else picked

    in_strides = strides(x.shape)
    maps = [np.arange(batch) * in_strides[0], nearest(in_h, out_h) * in_strides[1],
            nearest(in_w, out_w) * in_strides[2], np.arange(channels)]
    gather(b, x, out, maps)


KERNELS = {
    "PAD": lambda b, op, i, o: _pad(b, op, i, o, mirror=False),
    "MIRROR_PAD": lambda b, op, i, o: _pad(b, op, i, o, mirror=True),
    "STRIDED_SLICE": _strided_slice,
    "CONCATENATION": _concatenation,
    "RESIZE_NEAREST_NEIGHBOR": _resize_nearest,
}
