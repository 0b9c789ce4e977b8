"""The `tfl` dialect: a TFLite model's operators as pipeline stages, close to the file format.

The importer (`frontend/tflite_import.py`) emits one op per TFLite operator directly into the
`rune.pipeline`, so each activation is an ordinary pipeline tensor that plan-memory places in the
one arena with the kernels' tensors. Constant inputs (weights, biases, shapes) are not SSA values:
`constants` holds, per TFLite input slot, a dense attribute (a constant), `unit` (the next SSA
operand) or `none` (an omitted optional input; printed `none`, it parses back as the none type).
`quant` holds, per input slot and then per output, a `#tfl.quant` (scales, zero points,
quantised axis) or `none`. Options are typed properties, with
the file's enums as strings checked by the verifier. `lower-tfl-to-loops` lowers each op.

`OPERATORS` is the one table of operators the importer accepts; an operator not in it is a
compile error naming it and the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from rune.ir.dialect import StageOp, element_type_name
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    FloatData,
    IntAttr,
    IntegerAttr,
    IntegerType,
    NoneAttr,
    NoneType,
    Signedness,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue
from xdsl.irdl import (
    irdl_attr_definition,
    irdl_op_definition,
    prop_def,
    var_operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException

ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
PADDINGS = ("SAME", "VALID")
MIRROR_MODES = ("REFLECT", "SYMMETRIC")


@irdl_attr_definition
class QuantAttr(ParametrizedAttribute):
    """Affine quantisation `real = scale * (q - zero_point)`, per tensor or per `axis` slice."""

    name = "tfl.quant"

    scale: ArrayAttr[FloatData]
    zero_point: ArrayAttr[IntAttr]
    axis: IntAttr

    def __init__(self, scale: Sequence[float], zero_point: Sequence[int], axis: int) -> None:
        super().__init__(ArrayAttr([FloatData(float(s)) for s in scale]),
                         ArrayAttr([IntAttr(int(z)) for z in zero_point]), IntAttr(axis))

    @property
    def scales(self) -> list[float]:
        return [s.data for s in self.scale.data]

    @property
    def zero_points(self) -> list[int]:
        return [z.data for z in self.zero_point.data]

    def verify(self) -> None:
        if not self.scale.data or len(self.scale.data) != len(self.zero_point.data):
            raise VerifyException(
                f"tfl.quant needs as many zero points as scales (at least one), got "
                f"{len(self.scale.data)} scales and {len(self.zero_point.data)} zero points")
        if any(not s.data > 0 for s in self.scale.data):
            raise VerifyException("tfl.quant scales must be positive")


@dataclass(frozen=True)
class OperatorSpec:
    """What the importer and verifier know of one TFLite operator."""

    tflite: str
    inputs: tuple[int, int]  # (least, most) TFLite input slots
    options: tuple[tuple[str, str], ...] = ()  # (name, "int" | "float" | enum-name)
    weights: tuple[int, ...] = ()  # input slots that must be constants


_POOL = (("padding", "padding"), ("stride_w", "int"), ("stride_h", "int"),
         ("filter_w", "int"), ("filter_h", "int"), ("activation", "activation"))
_ACT = (("activation", "activation"),)
# fmt: off
OPERATORS: dict[str, OperatorSpec] = {s.tflite: s for s in (
    OperatorSpec("CONV_2D", (2, 3), (("padding", "padding"), ("stride_w", "int"),
                 ("stride_h", "int"), ("activation", "activation"), ("dilation_w", "int"),
                 ("dilation_h", "int")), weights=(1, 2)),
    OperatorSpec("DEPTHWISE_CONV_2D", (2, 3), (("padding", "padding"), ("stride_w", "int"),
                 ("stride_h", "int"), ("depth_multiplier", "int"), ("activation", "activation"),
                 ("dilation_w", "int"), ("dilation_h", "int")), weights=(1, 2)),
    OperatorSpec("FULLY_CONNECTED", (2, 3), (("activation", "activation"),
                 ("keep_num_dims", "int")), weights=(1, 2)),
    OperatorSpec("MAX_POOL_2D", (1, 1), _POOL),
    OperatorSpec("AVERAGE_POOL_2D", (1, 1), _POOL),
    OperatorSpec("RESHAPE", (1, 2)),
    OperatorSpec("SOFTMAX", (1, 1), (("beta", "float"),)),
    OperatorSpec("ADD", (2, 2), _ACT),
    OperatorSpec("SUB", (2, 2), _ACT),
    OperatorSpec("MUL", (2, 2), _ACT),
    OperatorSpec("SQUARED_DIFFERENCE", (2, 2)),
    OperatorSpec("MEAN", (2, 2), (("keep_dims", "int"),), weights=(1,)),
    OperatorSpec("MIRROR_PAD", (2, 2), (("mode", "mirror"),), weights=(1,)),
    OperatorSpec("PAD", (2, 2), weights=(1,)),
    OperatorSpec("RESIZE_NEAREST_NEIGHBOR", (2, 2), (("align_corners", "int"),
                 ("half_pixel_centers", "int")), weights=(1,)),
    OperatorSpec("CONCATENATION", (1, 64), (("axis", "int"), ("activation", "activation"))),
    OperatorSpec("STRIDED_SLICE", (4, 4), (("begin_mask", "int"), ("end_mask", "int"),
                 ("ellipsis_mask", "int"), ("new_axis_mask", "int"),
                 ("shrink_axis_mask", "int")), weights=(1, 2, 3)),
    OperatorSpec("RSQRT", (1, 1)),
    OperatorSpec("LOGISTIC", (1, 1)),
    OperatorSpec("TANH", (1, 1)),
    OperatorSpec("RELU", (1, 1)),
    OperatorSpec("RELU6", (1, 1)),
    OperatorSpec("QUANTIZE", (1, 1)),
    OperatorSpec("DEQUANTIZE", (1, 1)),
)}
# fmt: on
_ENUMS = {"activation": ACTIVATIONS, "padding": PADDINGS, "mirror": MIRROR_MODES}


class TflOp(StageOp):
    """Common shape of every tfl op (see the module docstring)."""

    SPEC: ClassVar[OperatorSpec]
    constants = prop_def(ArrayAttr)
    quant = prop_def(ArrayAttr)
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)

    # --- views the lowering uses ------------------------------------------------------------
    def slot_count(self) -> int:
        return len(self.constants.data)

    def constant(self, slot: int) -> np.ndarray | None:
        """The constant at TFLite input `slot` as a shaped array, or None."""
        if slot >= self.slot_count():
            return None
        attr = self.constants.data[slot]
        if not isinstance(attr, DenseIntOrFPElementsAttr):
            return None
        return dense_to_array(attr)

    def slot_value(self, slot: int) -> SSAValue | None:
        """The SSA operand at TFLite input `slot`, or None for a constant or omitted input."""
        index = 0
        for i, attr in enumerate(self.constants.data):
            if isinstance(attr, UnitAttr):
                if i == slot:
                    return self.inputs[index]
                index += 1
        return None

    def quant_of(self, position: int) -> QuantAttr | None:
        """Quantisation of input slot `position`, or of output `position - slot_count()`."""
        attr = self.quant.data[position]
        return attr if isinstance(attr, QuantAttr) else None

    def output_quant(self, index: int = 0) -> QuantAttr | None:
        return self.quant_of(self.slot_count() + index)

    def option(self, name: str):
        attr = self.properties[name]
        if isinstance(attr, StringAttr):
            return attr.data
        if isinstance(attr, FloatAttr):
            return attr.value.data
        assert isinstance(attr, IntegerAttr)
        return attr.value.data

    # --- verification ------------------------------------------------------------------------
    def verify_(self) -> None:
        super().verify_()
        spec = self.SPEC
        slots = self.slot_count()
        least, most = spec.inputs
        if not least <= slots <= most:
            raise VerifyException(f"{self.name} {self.stage_name!r} has {slots} inputs; "
                                  f"{spec.tflite} takes {least} to {most}")
        runtime = [a for a in self.constants.data if isinstance(a, UnitAttr)]
        if len(runtime) != len(self.inputs):
            raise VerifyException(f"{self.name} {self.stage_name!r}: {len(runtime)} input slots "
                                  f"are marked unit but there are {len(self.inputs)} operands")
        for slot, attr in enumerate(self.constants.data):
            if not isinstance(attr, UnitAttr | NoneAttr | NoneType | DenseIntOrFPElementsAttr):
                raise VerifyException(f"{self.name}: input slot {slot} must be a dense constant,"
                                      f" unit or none, got {attr}")
            if slot in spec.weights and isinstance(attr, UnitAttr):
                raise VerifyException(f"{self.name} {self.stage_name!r}: input {slot} must be "
                                      "a constant in a compiled model")
        if len(self.quant.data) != slots + len(self.outputs):
            raise VerifyException(f"{self.name}: quant has {len(self.quant.data)} entries for "
                                  f"{slots} inputs and {len(self.outputs)} outputs")
        for attr in self.quant.data:
            if not isinstance(attr, QuantAttr | NoneAttr | NoneType):
                raise VerifyException(f"{self.name}: quant entries are #tfl.quant or none")
        for name, kind in spec.options:
            if kind in _ENUMS:
                value = self.option(name)
                if value not in _ENUMS[kind]:
                    raise VerifyException(f"{self.name}: {name} {value!r} is not one of "
                                          f"{', '.join(_ENUMS[kind])}")
        self.verify_operator()

    def verify_operator(self) -> None:
        """Operator-specific checks; the default has none."""

    def _shape(self, slot: int) -> tuple[int, ...]:
        value = self.slot_value(slot)
        if value is not None:
            return tuple(value.type.get_shape())
        attr = self.constants.data[slot]
        return tuple(attr.type.get_shape()) if isinstance(attr, DenseIntOrFPElementsAttr) else ()

    def _element(self, slot: int) -> str:
        value = self.slot_value(slot)
        return element_type_name(value.type.element_type) if value is not None else ""


def is_operator(op: object, *operators: str) -> bool:
    """Whether `op` is a tfl op of one of these TFLite operators (e.g. "SOFTMAX")."""
    return isinstance(op, TflOp) and op.SPEC.tflite in operators


def dense_to_array(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    typ = attr.type
    element = typ.element_type
    if isinstance(element, IntegerType):
        unsigned = element.signedness.data is Signedness.UNSIGNED
        dtype = np.dtype(f"{'u' if unsigned else 'i'}{element.width.data // 8}")
    else:
        dtype = {16: np.float16, 32: np.float32, 64: np.float64}[element.bitwidth]
    raw = attr.data.data
    return np.frombuffer(raw, dtype=dtype).reshape(typ.get_shape())


def array_to_dense(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type

    kind = array.dtype
    if kind.kind in "iu":  # uint8 weights (legacy quantisation) stay unsigned
        signedness = Signedness.UNSIGNED if kind.kind == "u" else Signedness.SIGNLESS
        element: Attribute = IntegerType(kind.itemsize * 8, signedness)
    else:
        element = {2: Float16Type(), 4: Float32Type(), 8: Float64Type()}[kind.itemsize]
    little = np.ascontiguousarray(array, dtype=kind.newbyteorder("<"))
    return DenseIntOrFPElementsAttr(TensorType(element, list(array.shape) or [1]),
                                    BytesAttr(little.tobytes()))


class _ConvLike(TflOp):
    def verify_operator(self) -> None:
        inp, filt = self._shape(0), self._shape(1)
        out = tuple(self.outputs[0].type.get_shape())
        if len(inp) != 4 or len(filt) != 4 or len(out) != 4:
            raise VerifyException(f"{self.name} {self.stage_name!r} needs rank-4 NHWC input, "
                                  f"filter and output, got {inp}, {filt}, {out}")
        channels = out[3]
        if self.slot_count() > 2 and self._shape(2) and self._shape(2) != (channels,):
            raise VerifyException(f"{self.name} {self.stage_name!r}: bias shape "
                                  f"{self._shape(2)} does not match {channels} output channels")
        for name in ("stride_w", "stride_h", "dilation_w", "dilation_h"):
            if self.option(name) < 1:
                raise VerifyException(f"{self.name}: {name} must be at least 1")
        q = self.quant_of(1)
        if q is not None and len(q.scales) not in (1, channels):
            raise VerifyException(f"{self.name} {self.stage_name!r}: {len(q.scales)} filter "
                                  f"scales for {channels} output channels")


class _Conv2D(_ConvLike):
    def verify_operator(self) -> None:
        super().verify_operator()
        if self._shape(0)[3] % self._shape(1)[3]:
            raise VerifyException(f"tfl.conv_2d {self.stage_name!r}: input channels "
                                  f"{self._shape(0)[3]} are not a multiple of the filter's "
                                  f"{self._shape(1)[3]}")


class _FullyConnected(TflOp):
    def verify_operator(self) -> None:
        filt = self._shape(1)
        if len(filt) != 2:
            raise VerifyException(f"tfl.fully_connected {self.stage_name!r}: weights must be "
                                  f"rank 2, got {filt}")
        count = int(np.prod(self._shape(0)))
        if count % filt[1]:
            raise VerifyException(f"tfl.fully_connected {self.stage_name!r}: {count} input "
                                  f"elements are not a multiple of the weights' depth {filt[1]}")


class _Pool(TflOp):
    def verify_operator(self) -> None:
        if len(self._shape(0)) != 4:
            raise VerifyException(f"{self.name} {self.stage_name!r} needs a rank-4 NHWC input")
        for name in ("stride_w", "stride_h", "filter_w", "filter_h"):
            if self.option(name) < 1:
                raise VerifyException(f"{self.name}: {name} must be at least 1")


class _SameShape(TflOp):
    """Element-wise operators: the output has the (broadcast) input's element count."""

    def verify_operator(self) -> None:
        counts = {int(np.prod(self._shape(s))) for s in range(self.slot_count())}
        out = int(np.prod(self.outputs[0].type.get_shape()))
        if out != max(counts):
            raise VerifyException(f"{self.name} {self.stage_name!r}: {out} output elements for "
                                  f"inputs of {sorted(counts)}")


class _Reshape(TflOp):
    def verify_operator(self) -> None:
        if int(np.prod(self._shape(0))) != int(np.prod(self.outputs[0].type.get_shape())):
            raise VerifyException(f"tfl.reshape {self.stage_name!r} changes the element count")


_BASES: dict[str, type[TflOp]] = {
    "CONV_2D": _Conv2D, "DEPTHWISE_CONV_2D": _ConvLike, "FULLY_CONNECTED": _FullyConnected,
    "MAX_POOL_2D": _Pool, "AVERAGE_POOL_2D": _Pool, "RESHAPE": _Reshape,
    "ADD": _SameShape, "SUB": _SameShape, "MUL": _SameShape, "SQUARED_DIFFERENCE": _SameShape,
    "RSQRT": _SameShape, "LOGISTIC": _SameShape, "TANH": _SameShape, "RELU": _SameShape,
    "RELU6": _SameShape, "QUANTIZE": _SameShape, "DEQUANTIZE": _SameShape, "SOFTMAX": _SameShape,
}


def _op_class(spec: OperatorSpec) -> type[TflOp]:
    """One irdl op per table row: `tfl.<lower-case name>` with typed option properties."""
    namespace: dict = {"name": "tfl." + spec.tflite.lower(), "SPEC": spec,
                       "__annotations__": {"SPEC": ClassVar[OperatorSpec]},
                       "__doc__": f"TFLite {spec.tflite}.", "__module__": __name__}
    for option, kind in spec.options:
        namespace[option] = prop_def(
            {"int": IntegerAttr, "float": FloatAttr}.get(kind, StringAttr))
    cls = type("Tfl" + spec.tflite.title().replace("_", ""), (_BASES.get(spec.tflite, TflOp),),
               namespace)
    return irdl_op_definition(cls)


OP_CLASSES: dict[str, type[TflOp]] = {name: _op_class(s) for name, s in OPERATORS.items()}


def option_attr(kind: str, value) -> Attribute:
    """The typed property for one option read from the file (enums by their schema names)."""
    if kind == "int":
        return IntegerAttr(int(value), i64)
    if kind == "float":
        return FloatAttr(float(value), f32)
    return StringAttr(_ENUMS[kind][int(value)])


Tfl = Dialect("tfl", list(OP_CLASSES.values()), [QuantAttr])
