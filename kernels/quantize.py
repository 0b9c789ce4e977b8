"""quantize and dequantize: affine int8/uint8/... quantization with TFLite's conventions.

    quantize:   q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax)
    dequantize: x = (q - zero_point) * scale

`scale` 0 (the default) means "not given": the `infer-quantization` pass then reads scale and
zero point from the model tensor the stage feeds (quantize) or reads (dequantize).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels._modern_ops import (
    INTEGER_RANGES,
    check_arity,
    check_element,
    describe,
)
from rune.kernels.base import (
    ArgSpec,
    ArgValue,
    ElementwiseProcBlock,
    ProcBlock,
    ProcBlockError,
    TensorSig,
)

QUANTIZED = ("u8", "i8", "u16", "i16", "i32")
REAL = ("f32", "f64")
SCALE = ArgSpec("scale", float, default=0.0, minimum=0.0,
                doc="real value of one quantization step; 0 = read it from the model")
ZERO_POINT = ArgSpec("zero_point", int, default=0,
                     doc="the quantized value that stands for real 0")


def _check(block: ProcBlock, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
           args: Mapping[str, ArgValue], real_is_input: bool) -> None:
    check_arity(block.name, inputs, outputs, 1, 1)
    real, quantized = (inputs[0], outputs[0]) if real_is_input else (outputs[0], inputs[0])
    check_element(block.name, "real side", real, REAL)
    check_element(block.name, "quantized side", quantized, QUANTIZED)
    if inputs[0].shape != outputs[0].shape:
        raise ProcBlockError(
            f"{block.name} keeps its input's shape, so its output must be "
            f"{outputs[0].element}[{', '.join(map(str, inputs[0].shape))}], "
            f"not {describe(outputs[0])}"
        )
    if float(args["scale"]) == 0.0:  # type: ignore[arg-type]
        raise ProcBlockError(
            f"{block.name} needs `scale` (and `zero_point`): give them, or connect it to a "
            "quantized model tensor so that they are read from the model file"
        )
    low, high = INTEGER_RANGES[quantized.element]
    zero_point = int(args["zero_point"])  # type: ignore[arg-type]
    if not low <= zero_point <= high:
        raise ProcBlockError(
            f"`zero_point` {zero_point} does not fit {quantized.element} ({low}..{high})"
        )


class Quantize(ElementwiseProcBlock):
    name = "quantize"
    summary = "real -> quantized: clamp(round_half_even(x / scale) + zero_point)"
    origin = "new in this compiler (TFLite QUANTIZE conventions)"
    arg_specs = (SCALE, ZERO_POINT)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        _check(self, inputs, outputs, args, real_is_input=True)

    def apply(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue],
              out_element: str) -> Scalar:
        low, high = INTEGER_RANGES[out_element]
        scale = builder.constant(float(args["scale"]), value.element)  # type: ignore[arg-type]
        zero_point = builder.constant(int(args["zero_point"]), "f64")  # type: ignore[arg-type]
        # Divide in the input's precision (TFLite divides f32 by f32), then add and clamp
        # in f64, where every integer of the quantized range is exact.
        steps = builder.round_half_even(builder.div(value, scale))
        q = builder.add(builder.convert(steps, "f64"), zero_point)
        q = builder.minimum(builder.maximum(q, builder.constant(low, "f64")),
                            builder.constant(high, "f64"))
        q = builder.select(builder.compare("eq", q, q), q, zero_point)  # NaN -> zero_point
        return builder.convert(q, out_element)


class Dequantize(ElementwiseProcBlock):
    name = "dequantize"
    summary = "quantized -> real: (q - zero_point) * scale"
    origin = "new in this compiler (TFLite DEQUANTIZE conventions)"
    arg_specs = (SCALE, ZERO_POINT)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        _check(self, inputs, outputs, args, real_is_input=False)

    def apply(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue],
              out_element: str) -> Scalar:
        # The scale at the real side's precision (a TFLite model stores it as f32), widened.
        scale = builder.convert(
            builder.constant(float(args["scale"]), out_element), "f64")  # type: ignore[arg-type]
        zero_point = builder.constant(int(args["zero_point"]), "f64")  # type: ignore[arg-type]
        # In f64 the difference is exact and the product rounds once, then once more to the
        # output type, as TFLite's reference kernel (double scale) does.
        real = builder.mul(builder.sub(builder.convert(value, "f64"), zero_point), scale)
        return builder.convert(real, out_element)
