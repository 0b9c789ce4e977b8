"""affine and standardize: the scale-and-shift steps of every preprocessing chain.

Both are elementwise, so fuse-elementwise folds them into their consumer, and fold-affine merges
consecutive ones into a single multiply-add.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels.base import (
    ArgSpec,
    ArgValue,
    ElementwiseProcBlock,
    ProcBlockError,
    TensorSig,
)

FLOATS = ("f32", "f64")


class Affine(ElementwiseProcBlock):
    name = "affine"
    summary = "x * scale + offset for every element (two roundings, no fused multiply-add)"
    origin = "new in this compiler"
    element_types = FLOATS
    arg_specs = (
        ArgSpec("scale", float, default=1.0, doc="the factor"),
        ArgSpec("offset", float, default=0.0, doc="added after scaling"),
    )

    def monotone(self, args: Mapping[str, ArgValue], in_element: str, out_element: str) -> bool:
        """A positive finite scale and a finite offset, as the element type holds them
        (1e-50 is 0 in f32): rounding is monotone, and an infinite product stays infinite
        (never inf * 0 or inf - inf)."""
        scale = _rounded(args["scale"], out_element)
        offset = _rounded(args["offset"], out_element)
        return 0.0 < scale < math.inf and math.isfinite(offset)

    def scalar(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue]) -> Scalar:
        scale = builder.constant(float(args["scale"]), value.element)  # type: ignore[arg-type]
        offset = builder.constant(float(args["offset"]), value.element)  # type: ignore[arg-type]
        return builder.add(builder.mul(value, scale), offset)


class Standardize(ElementwiseProcBlock):
    name = "standardize"
    summary = "(x - mean) / std for every element"
    origin = "new in this compiler"
    element_types = FLOATS
    arg_specs = (
        ArgSpec("mean", float, default=0.0, doc="subtracted first"),
        ArgSpec("std", float, default=1.0, doc="the divisor; must be positive"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        super().check(inputs, outputs, args)
        if not float(args["std"]) > 0:  # type: ignore[arg-type]
            raise ProcBlockError(f"standardize needs a positive `std`, got {args['std']}")

    def monotone(self, args: Mapping[str, ArgValue], in_element: str, out_element: str) -> bool:
        mean, std = _rounded(args["mean"], out_element), _rounded(args["std"], out_element)
        return math.isfinite(mean) and 0.0 < std < math.inf

    def scalar(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue]) -> Scalar:
        mean = builder.constant(float(args["mean"]), value.element)  # type: ignore[arg-type]
        std = builder.constant(float(args["std"]), value.element)  # type: ignore[arg-type]
        return builder.div(builder.sub(value, mean), std)


def _rounded(value: ArgValue, element: str) -> float:
    """The argument as the kernel's constant of `element` holds it."""
    if element == "f32":
        with np.errstate(over="ignore"):
            return float(np.float32(float(value)))  # type: ignore[arg-type]
    return float(value)  # type: ignore[arg-type]
