"""modulo: the remainder of every element after division by `modulus` (Rust's `%`)."""

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


class Modulo(ElementwiseProcBlock):
    name = "modulo"
    summary = "x % modulus for every element; floats use fmod (the sign follows x)"
    arg_specs = (ArgSpec("modulus", float, default=1.0, doc="the divisor; must not be 0"),)

    def check(
        self,
        inputs: Sequence[TensorSig],
        outputs: Sequence[TensorSig],
        args: Mapping[str, ArgValue],
    ) -> None:
        super().check(inputs, outputs, args)
        modulus = float(args["modulus"])  # type: ignore[arg-type]
        if modulus == 0:
            raise ProcBlockError("modulo by 0 is undefined; give a non-zero `modulus`")
        if inputs[0].element not in ("f32", "f64") and not modulus.is_integer():
            raise ProcBlockError(
                f"{inputs[0].element} input needs a whole-number `modulus`, got {modulus}"
            )

    def scalar(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue]) -> Scalar:
        modulus = float(args["modulus"])  # type: ignore[arg-type]
        if value.element == "f32":
            return builder.fmod(value, builder.constant(modulus, "f32"))
        if value.element == "f64":
            # The same construction one size up would need f128; f64 uses x - trunc(x/m)*m.
            m = builder.constant(modulus, "f64")
            return builder.sub(value, builder.mul(builder.trunc(builder.div(value, m)), m))
        return builder.rem(value, builder.constant(int(modulus), value.element))
