"""sigmoid: the logistic function 1 / (1 + e^-x), computed so that no intermediate overflows."""

from __future__ import annotations

from collections.abc import Mapping

from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels.base import ArgValue, ElementwiseProcBlock


def logistic(builder: KernelBuilder, value: Scalar) -> Scalar:
    """1 / (1 + exp(-x)) for an f32 scalar, NaN for NaN.

    e = exp(-|x|) lies in (0, 1], so 1 + e never overflows. For x < 0 the result is e / (1 + e),
    which keeps tiny results (down to exp's subnormals) instead of flushing them to 0; for x >= 0
    it is 1 - e / (1 + e), which rounds once near 1 where 1 / (1 + e) would round twice."""
    one = builder.constant(1.0, "f32")
    e = builder.exp(builder.negate(builder.abs(value)))
    negative = builder.div(e, builder.add(one, e))
    positive = builder.sub(one, negative)
    return builder.select(
        builder.compare("ge", value, builder.constant(0.0, "f32")), positive, negative)


class Sigmoid(ElementwiseProcBlock):
    name = "sigmoid"
    cheap = False  # an exp per element: never recomputed by a consumer reading twice
    summary = "1 / (1 + exp(-x)) for every f32 element, stable for large |x|"
    origin = "new in this compiler (tf.math.sigmoid)"
    element_types = ("f32",)

    def scalar(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue]) -> Scalar:
        return logistic(builder, value)
