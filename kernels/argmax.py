"""argmax: the index of the largest element, counting only values above 0.0."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._numeric_checks import expect_arity, expect_count, expect_element
from rune.kernels.base import ArgValue, ProcBlock, TensorSig
from xdsl.ir import SSAValue


def argmax_from_zero(builder: KernelBuilder, source: Buffer, start: SSAValue | int,
                     count: int) -> Scalar:
    """The original's fold: start from (0, 0.0) and move only to a strictly greater value.

    So the first maximum wins, an input with nothing above 0.0 gives 0, and NaN never wins
    (ordered compare). Reads `count` f32 elements from flat index `start`; the result is u32.
    """
    base = builder.index(start) if isinstance(start, int) else start

    def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        best_index, best_value = carried
        value = builder.load(source, builder.add_index(base, i))
        greater = builder.compare("gt", value, best_value)
        return [builder.select(greater, builder.from_index(i, "u32"), best_index),
                builder.select(greater, value, best_value)]

    init = [builder.constant(0, "u32"), builder.constant(0.0, "f32")]
    return builder.fold(count, init, step)[0]


class Argmax(ProcBlock):
    name = "argmax"
    accepts_fused_inputs = True  # reads its input only through builder.load
    reads_inputs_once = True
    summary = "index of the first largest f32 element, 0 when no element is above 0.0"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        expect_element(self.name, "input", inputs[0], ("f32",))
        expect_element(self.name, "output", outputs[0], ("u32",))
        expect_count(self.name, "output", outputs[0], 1, "u32[1]")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        builder.store(argmax_from_zero(builder, source, 0, source.count), result, builder.index(0))
