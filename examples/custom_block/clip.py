"""A custom proc block: clamp every element into [low, high].

Referenced from Runefile.yml as `proc-block: ./clip.py`. It is written with the same
KernelBuilder as the built-in kernels, so runec type-checks it, fuses it with its neighbours,
plans its memory and compiles it into the rune's wasm like any library kernel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels.base import (
    ArgSpec,
    ArgValue,
    ElementwiseProcBlock,
    ProcBlockError,
    TensorSig,
)


class Clip(ElementwiseProcBlock):
    name = "clip"
    summary = "min(max(x, low), high) for every element"
    origin = "examples/custom_block"
    element_types = ("f32", "f64")
    arg_specs = (
        ArgSpec("low", float, default=0.0, doc="the smallest value let through"),
        ArgSpec("high", float, default=1.0, doc="the largest value let through"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        super().check(inputs, outputs, args)
        if float(args["low"]) > float(args["high"]):  # type: ignore[arg-type]
            raise ProcBlockError(f"clip needs low <= high, got {args['low']} > {args['high']}")

    def scalar(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue]) -> Scalar:
        low = builder.constant(float(args["low"]), value.element)  # type: ignore[arg-type]
        high = builder.constant(float(args["high"]), value.element)  # type: ignore[arg-type]
        return builder.minimum(builder.maximum(value, low), high)
