"""PAD (constant padding) as runs of contiguous copies instead of a per-element gather.

The output is first filled with the padding value (0.0, or the zero point of a quantized
tensor, as `layout`'s gather fills it), then each row of the input's last dimension, which
stays contiguous in the output, is copied to where it lands: one index computation per row,
and copy and fill loops that LLVM vectorises. The same elements land in the same places as
reference_ops::Pad puts them, so the result is exact for every element type.
"""

from __future__ import annotations

from contextlib import ExitStack

from rune.ir import tfl
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.tfl import layout
from rune.kernels.tfl.ops import KernelError


def _pad(b: KernelBuilder, op: tfl.TflOp, ins: list[Buffer], outs: list[Buffer]) -> None:
    x, out = ins[0], outs[0]
    pads = op.constant(1).reshape(-1, 2)
    if len(pads) != len(x.shape):
        raise KernelError(f"{len(pads)} paddings for a rank-{len(x.shape)} input")
    if (pads < 0).any() or x.count == 0:
        layout.KERNELS["PAD"](b, op, ins, outs)
        return
    fill = b.constant(layout._pad_fill(op, out), out.element)
    with b.loop(out.count) as i:
        b.store(fill, out, i)
    out_strides = layout.strides(out.shape)
    row = x.shape[-1]
    with ExitStack() as stack:
        indices = [stack.enter_context(b.loop(size)) for size in x.shape[:-1]]
        source = b.index(0)
        target = b.index(int(pads[-1][0]))
        for index, size, (before, _), stride in zip(indices, x.shape[:-1], pads[:-1],
                                                    out_strides[:-1], strict=True):
            source = b.add_index(b.mul_index(source, size), index)
            target = b.add_index(target, b.mul_index(b.add_index(index, int(before)), stride))
        source = b.mul_index(source, row)
        with b.loop(row) as c:
            b.store(b.load(x, b.add_index(source, c)), out, b.add_index(target, c))


KERNELS = {"PAD": _pad}
