"""segment_output: per-pixel class of a segmentation map, and the set of classes present."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._numeric_checks import (
    describe,
    expect_arity,
    expect_count,
    expect_element,
)
from rune.kernels.argmax import argmax_from_zero
from rune.kernels.base import ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

NO_LABEL = 0xFFFFFFFF  # fills the label list past the classes present


class SegmentOutput(ProcBlock):
    name = "segment_output"
    summary = "argmax over the class axis of f32[1, rows, columns, classes], plus classes present"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 2)
        (source,), (indices, labels) = inputs, outputs
        expect_element(self.name, "input", source, ("f32",))
        if len(source.shape) != 4 or source.shape[0] != 1 or source.shape[3] < 1:
            raise ProcBlockError(
                f"{self.name} takes f32[1, rows, columns, classes], not {describe(source)}"
            )
        _, rows, columns, _ = source.shape
        expect_element(self.name, "first output", indices, ("u32",))
        expect_count(self.name, "first output", indices, rows * columns,
                     f"u32[{rows}, {columns}]")
        expect_element(self.name, "second output", labels, ("u32",))
        if prod(labels.shape) < 1:
            raise ProcBlockError(f"{self.name}'s second output needs room for at least one "
                                 f"label, not {describe(labels)}")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (indices, labels) = inputs, outputs
        classes = source.shape[3]
        present = builder.state("present", classes, "u8")
        with builder.loop(classes) as c:
            builder.store(builder.constant(0, "u8"), present, c)
        with builder.loop(indices.count) as pixel:
            start = builder.mul_index(pixel, classes)
            label = argmax_from_zero(builder, source, start, classes)
            builder.store(label, indices, pixel)
            builder.store(builder.constant(1, "u8"), present, builder.to_index(label))
        _list_present(builder, present, labels)


def _list_present(builder: KernelBuilder, present: Buffer, labels: Buffer) -> None:
    """The classes whose flag is set, ascending (the original's BTreeSet order), then NO_LABEL
    up to the output's length; classes beyond that length are left out."""
    room = builder.constant(labels.count, "u32")

    def step(c: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        (written,) = carried
        flag = builder.compare("ne", builder.load(present, c), builder.constant(0, "u8"))
        keep = builder.bool_and(flag, builder.compare("lt", written, room))
        builder.when(keep, lambda: builder.store(builder.from_index(c, "u32"), labels,
                                                  builder.to_index(written)))
        step_size = builder.select(keep, builder.constant(1, "u32"), builder.constant(0, "u32"))
        return [builder.add(written, step_size)]

    (written,) = builder.fold(present.count, [builder.constant(0, "u32")], step)
    with builder.loop(labels.count, lower=builder.to_index(written)) as slot:
        builder.store(builder.constant(NO_LABEL, "u32"), labels, slot)
