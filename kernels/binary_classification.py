"""binary_classification: 1 if the input is above `threshold`, else 0 (the original's slice
comparison)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels._numeric_checks import expect_arity, expect_count, expect_element
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, TensorSig


class BinaryClassification(ProcBlock):
    name = "binary_classification"
    summary = "u32 1 when the first element is above `threshold`, else 0"
    arg_specs = (ArgSpec("threshold", float, default=0.5, doc="the f32 decision boundary"),)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        expect_element(self.name, "input", inputs[0], ("f32",))
        expect_element(self.name, "output", outputs[0], ("u32",))
        expect_count(self.name, "output", outputs[0], 1, "u32[1]")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        threshold = float(args["threshold"])  # type: ignore[arg-type]
        if source.count == 0:
            builder.store(builder.constant(0, "u32"), result, builder.index(0))
            return
        # The original compares the whole input slice with [threshold] lexicographically: the
        # first element decides, and on a tie the longer slice is greater. So a one-element
        # input needs x > t, a longer one x >= t; NaN compares false either way.
        first = builder.load(source, builder.index(0))
        predicate = "gt" if source.count == 1 else "ge"
        above = builder.compare(predicate, first, builder.constant(threshold, "f32"))
        label = builder.select(above, builder.constant(1, "u32"), builder.constant(0, "u32"))
        builder.store(label, result, builder.index(0))
