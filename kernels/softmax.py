"""softmax: exp(x) / sum(exp(x)) over the whole tensor, as the original did it (no max shift)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._numeric_checks import expect_arity, expect_element, expect_same
from rune.kernels.base import ArgValue, ProcBlock, TensorSig
from xdsl.ir import SSAValue


class Softmax(ProcBlock):
    name = "softmax"
    accepts_fused_inputs = True  # reads its input only through builder.load
    summary = "exp(x) / sum(exp(x)) in f32 over all elements, without subtracting the maximum"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        expect_element(self.name, "input", inputs[0], ("f32",))
        expect_same(self.name, inputs[0], outputs[0])

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs

        # exp lands in the output first, summed in element order as the original's f32 sum.
        def accumulate(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            e = builder.exp(builder.load(source, i))
            builder.store(e, result, i)
            return [builder.add(carried[0], e)]

        (total,) = builder.fold(source.count, [builder.constant(0.0, "f32")], accumulate)
        with builder.loop(result.count) as i:
            builder.store(builder.div(builder.load(result, i), total), result, i)
