"""image-normalization: integer pixels to f32 in [0, 1] by the element type's own range."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir.kernel_builder import NUMPY_TYPES, KernelBuilder, Scalar
from rune.kernels._numeric_checks import (
    INTEGER_TYPES,
    describe,
    expect_arity,
    expect_element,
)
from rune.kernels.base import ArgValue, ElementwiseProcBlock, ProcBlockError, TensorSig


def type_range(element: str) -> tuple[np.float32, np.float32]:
    """(MIN, MAX - MIN) of an integer element type as the original's f32 arithmetic sees them:
    each bound rounded to f32, then subtracted in f32."""
    info = np.iinfo(NUMPY_TYPES[element])
    low, high = np.float32(info.min), np.float32(info.max)
    return low, np.float32(high - low)


class ImageNormalization(ElementwiseProcBlock):
    """Element-wise (integer pixel -> f32), so fuse-elementwise and
    fuse-elementwise-into-model-inputs may compute it on its consumer's loads."""

    name = "image-normalization"
    summary = "(v - MIN) / (MAX - MIN) in f32, MIN and MAX of the pixel type; 3-channel images"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        expect_element(self.name, "input", source, INTEGER_TYPES)
        if len(source.shape) != 4 or source.shape[3] != 3:
            raise ProcBlockError(
                f"{self.name} takes images as [frames, rows, columns, 3] (3 channels), "
                f"not {describe(source)}"
            )
        expected = TensorSig("f32", source.shape)
        if result != expected:
            raise ProcBlockError(
                f"{self.name}'s output must be {describe(expected)}, not {describe(result)}"
            )

    def apply(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue],
              out_element: str) -> Scalar:
        low, span = type_range(value.element)
        offset = builder.sub(builder.convert(value, "f32"), builder.constant(float(low), "f32"))
        return builder.div(offset, builder.constant(float(span), "f32"))
