"""The TFLite graph verifier: what a model must satisfy before LiteRT may build an interpreter.

`read_tflite` (tflite_format.py) proves the FlatBuffer is well formed. LiteRT does not defend
itself against a well-formed but wrong graph: DEPTHWISE_CONV_2D without its bias, an opcode
swapped for another, a weight index of -1 or an output no operator writes can crash the host
process or hand back a null tensor. So before a model reaches LiteRT, the graph is checked here:

- one subgraph (no control flow), operators from `OPERATORS` only: builtins, and the one custom
  operator LiteRT's own resolver registers, TFLite_Detection_PostProcess (others are refused by
  name);
- each operator's input and output counts, which inputs may be omitted (-1), and the element
  types of each position, against its rule in `OPERATORS`;
- tensor indices in range; constant buffers hold exactly shape x element size bytes;
- no operator writes a constant, a graph input or a tensor another operator wrote; every tensor
  an operator reads is a constant, a graph input, or written by an earlier operator; every graph
  output is produced;
- shapes propagate: elementwise operators keep or broadcast their input shapes, RESHAPE keeps
  the element count, and convolutions, pools and FULLY_CONNECTED agree with their weights,
  biases, strides and padding.

`verify_tflite_graph` returns the bytes LiteRT will allocate for the graph's non-constant
tensors (an upper bound), so the host can charge a model's memory before building it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .errors import ModelFormatError
from .tflite_format import (
    _ELEMENT_SIZES,
    _I8,
    _I32,
    _MODEL_OPCODES,
    _MODEL_SUBGRAPHS,
    _OC_BUILTIN_CODE,
    _OC_CUSTOM_CODE,
    _OC_DEPRECATED_CODE,
    _OP_INPUTS,
    _OP_OPCODE_INDEX,
    _OP_OPTIONS_TYPE,
    _OP_OUTPUTS,
    _SG_INPUTS,
    _SG_OPERATORS,
    _SG_OUTPUTS,
    _SG_TENSORS,
    _T_BUFFER,
    _T_IS_VARIABLE,
    _T_NAME,
    _T_SHAPE,
    _T_SPARSITY,
    _T_TYPE,
    _U8,
    _U32,
    BUILTIN_OPERATORS,
    ELEMENT_TYPES,
    _read_buffers,
    _Reader,
    _Table,
    read_tflite,
)

# --- the rules -----------------------------------------------------------------------------

FLOAT = frozenset({"f32"})
QUANT = frozenset({"i8", "u8", "i16"})
NUMERIC = frozenset({"f32", "i8", "u8", "i16", "i32", "i64"})
INDEX = frozenset({"i32", "i64"})
SAME = "same"  # the element type of input 0


@dataclass(frozen=True)
class Slot:
    """One operand position: its element types (a set, or SAME); `optional`: it may be -1
    (omitted, but present in the list); `absent`: it may be left off the end of the list."""

    name: str
    types: frozenset[str] | str = SAME
    optional: bool = False
    absent: bool = False


@dataclass(frozen=True)
class Rule:
    inputs: tuple[Slot, ...]
    outputs: tuple[Slot, ...] = (Slot("output"),)
    variadic_inputs: bool = False  # the last input slot repeats (CONCATENATION, PACK)
    variadic_outputs: bool = False  # the last output slot repeats (SPLIT, UNPACK)
    first: frozenset[str] = NUMERIC  # element types of input 0
    shape: Callable[[_Op, list[_Tensor]], None] | None = field(default=None, compare=False)


def _unary(types: frozenset[str] = NUMERIC) -> Rule:
    return Rule((Slot("input"),), first=types, shape=_same_shape)


def _binary(types: frozenset[str] = NUMERIC) -> Rule:
    return Rule((Slot("x"), Slot("y")), first=types, shape=_broadcast)


def _with_index(name: str, types: frozenset[str] = NUMERIC, optional: bool = False) -> Rule:
    return Rule((Slot("input"), Slot(name, INDEX, optional)), first=types)


# --- shape propagation ---------------------------------------------------------------------

@dataclass
class _Tensor:
    index: int
    name: str
    type: str
    shape: tuple[int, ...]
    constant_bytes: int | None  # None: not a constant
    variable: bool

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


@dataclass
class _Op:
    position: int
    name: str
    inputs: list[int]
    outputs: list[int]
    options: _Table | None

    def option(self, slot: int, fmt, default: int) -> int:
        return default if self.options is None else self.options.scalar(slot, fmt, default)


def _fail(op: _Op, message: str) -> ModelFormatError:
    return ModelFormatError(f"operator {op.position} ({op.name}): {message}")


def _same_shape(op: _Op, t: list[_Tensor]) -> None:
    if t[op.inputs[0]].shape != t[op.outputs[0]].shape:
        raise _fail(op, f"output shape {list(t[op.outputs[0]].shape)} differs from input "
                        f"shape {list(t[op.inputs[0]].shape)}")


def _broadcast(op: _Op, t: list[_Tensor]) -> None:
    a, b = t[op.inputs[0]].shape, t[op.inputs[1]].shape
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            raise _fail(op, f"input shapes {list(a)} and {list(b)} do not broadcast")
        out.append(max(x, y) if 0 not in (x, y) else 0)
    if tuple(out) != t[op.outputs[0]].shape:
        raise _fail(op, f"output shape {list(t[op.outputs[0]].shape)} is not the broadcast "
                        f"shape {out}")


def _reshape(op: _Op, t: list[_Tensor]) -> None:
    if t[op.inputs[0]].elements != t[op.outputs[0]].elements:
        raise _fail(op, f"reshapes {t[op.inputs[0]].elements} elements into "
                        f"{t[op.outputs[0]].elements}")


def _spatial(op: _Op, size: int, kernel: int, stride: int, dilation: int) -> int:
    if stride < 1 or dilation < 1 or kernel < 1:
        raise _fail(op, f"stride {stride}, dilation {dilation} and kernel {kernel} must be >= 1")
    if op.option(0, _I8, 0) == 0:  # padding SAME
        return (size + stride - 1) // stride
    effective = (kernel - 1) * dilation + 1
    return max(0, (size - effective + stride) // stride)


def _window(op: _Op, t: list[_Tensor], kh: int, kw: int, channels: int,
            dilation_slots: tuple[int, int] | None) -> None:
    """NHWC in and out: batch kept, spatial dims from strides and padding, `channels` out."""
    x, y = t[op.inputs[0]].shape, t[op.outputs[0]].shape
    if len(x) != 4 or len(y) != 4:
        raise _fail(op, f"needs 4-D input and output, got {list(x)} and {list(y)}")
    dw, dh = (op.option(dilation_slots[0], _I32, 1), op.option(dilation_slots[1], _I32, 1)) \
        if dilation_slots else (1, 1)
    stride_w, stride_h = op.option(1, _I32, 0), op.option(2, _I32, 0)
    expected = (x[0], _spatial(op, x[1], kh, stride_h, dh), _spatial(op, x[2], kw, stride_w, dw),
                channels)
    if y != expected:
        raise _fail(op, f"output shape {list(y)} should be {list(expected)} for input {list(x)}")


def _bias(op: _Op, t: list[_Tensor], units: int) -> None:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias = t[op.inputs[2]]
        if bias.elements != units:
            raise _fail(op, f"bias has {bias.elements} elements for {units} output channels")


def _conv(op: _Op, t: list[_Tensor]) -> None:
    x, w = t[op.inputs[0]].shape, t[op.inputs[1]].shape
    if len(w) != 4 or len(x) != 4 or w[3] == 0 or x[3] % w[3]:
        raise _fail(op, f"filter {list(w)} does not fit input {list(x)} (NHWC, OHWI filter)")
    _bias(op, t, w[0])
    _window(op, t, w[1], w[2], w[0], (4, 5))


def _depthwise(op: _Op, t: list[_Tensor]) -> None:
    x, w = t[op.inputs[0]].shape, t[op.inputs[1]].shape
    if len(w) != 4 or len(x) != 4 or w[0] != 1 or x[3] == 0 or w[3] % x[3]:
        raise _fail(op, f"filter {list(w)} does not fit input {list(x)} (NHWC, 1HWO filter)")
    _bias(op, t, w[3])
    _window(op, t, w[1], w[2], w[3], (5, 6))


def _pool(op: _Op, t: list[_Tensor]) -> None:
    x = t[op.inputs[0]].shape
    _window(op, t, op.option(4, _I32, 0), op.option(3, _I32, 0), x[3] if len(x) == 4 else -1,
            None)


def _fully_connected(op: _Op, t: list[_Tensor]) -> None:
    x, w, y = t[op.inputs[0]], t[op.inputs[1]].shape, t[op.outputs[0]]
    if len(w) != 2 or w[1] == 0 or x.elements % w[1]:
        raise _fail(op, f"weights {list(w)} do not fit input {list(x.shape)}")
    _bias(op, t, w[0])
    if y.elements != x.elements // w[1] * w[0]:
        raise _fail(op, f"output {list(y.shape)} should hold {x.elements // w[1] * w[0]} "
                        f"elements for input {list(x.shape)} and weights {list(w)}")


def _concatenation(op: _Op, t: list[_Tensor]) -> None:
    shapes = [t[i].shape for i in op.inputs]
    out = t[op.outputs[0]].shape
    axis = op.option(0, _I32, 0)
    axis = axis + len(out) if axis < 0 else axis
    if not 0 <= axis < len(out) or any(len(s) != len(out) for s in shapes):
        raise _fail(op, f"axis {axis} does not fit shapes {[list(s) for s in shapes]}")
    for s in shapes:
        if s[:axis] + s[axis + 1:] != out[:axis] + out[axis + 1:]:
            raise _fail(op, f"input {list(s)} does not fit output {list(out)} on axis {axis}")
    if sum(s[axis] for s in shapes) != out[axis]:
        raise _fail(op, f"inputs add up to {sum(s[axis] for s in shapes)} on axis {axis}, "
                        f"output has {out[axis]}")


def _quantize(op: _Op, t: list[_Tensor]) -> None:
    _same_shape(op, t)


# Bias: f32 for float models, i32 for 8-bit, i64 (or i32) for 16-bit activations.
_BIAS = frozenset({"f32", "i32", "i64"})
_CONV_INPUTS = (Slot("input"), Slot("filter", NUMERIC), Slot("bias", _BIAS))

#: The builtin operators we accept, each with its rule (one table drives every check).
OPERATORS: dict[str, Rule] = {
    "ADD": _binary(), "SUB": _binary(), "MUL": _binary(), "DIV": _binary(FLOAT | {"i32"}),
    "SQUARED_DIFFERENCE": _binary(), "MAXIMUM": _binary(), "MINIMUM": _binary(),
    "RELU": _unary(), "RELU6": _unary(), "RELU_N1_TO_1": _unary(), "LOGISTIC": _unary(),
    "TANH": _unary(), "RSQRT": _unary(FLOAT | QUANT), "SQRT": _unary(FLOAT), "EXP": _unary(),
    "LOG": _unary(FLOAT), "ABS": _unary(), "NEG": _unary(), "FLOOR": _unary(FLOAT),
    "CEIL": _unary(FLOAT), "ROUND": _unary(FLOAT), "SQUARE": _unary(FLOAT),
    "HARD_SWISH": _unary(), "LEAKY_RELU": _unary(), "ELU": _unary(), "GELU": _unary(),
    "SIN": _unary(FLOAT), "COS": _unary(FLOAT), "SOFTMAX": _unary(), "LOG_SOFTMAX": _unary(),
    "L2_NORMALIZATION": _unary(),
    "CONV_2D": Rule(_CONV_INPUTS, shape=_conv),
    "DEPTHWISE_CONV_2D": Rule(_CONV_INPUTS, shape=_depthwise),
    "FULLY_CONNECTED": Rule((Slot("input"), Slot("weights", NUMERIC),
                             Slot("bias", _BIAS, optional=True)), first=NUMERIC,
                            shape=_fully_connected),
    "AVERAGE_POOL_2D": Rule((Slot("input"),), shape=_pool),
    "MAX_POOL_2D": Rule((Slot("input"),), shape=_pool),
    "L2_POOL_2D": Rule((Slot("input"),), first=FLOAT, shape=_pool),
    "RESHAPE": Rule((Slot("input"), Slot("shape", INDEX, absent=True)), shape=_reshape),
    "SQUEEZE": Rule((Slot("input"),), shape=_reshape),
    "EXPAND_DIMS": Rule((Slot("input"), Slot("axis", INDEX)), shape=_reshape),
    "CONCATENATION": Rule((Slot("input"),), variadic_inputs=True, shape=_concatenation),
    "PAD": Rule((Slot("input"), Slot("paddings", INDEX))),
    "PADV2": Rule((Slot("input"), Slot("paddings", INDEX), Slot("value"))),
    "MIRROR_PAD": Rule((Slot("input"), Slot("paddings", INDEX))),
    "MEAN": _with_index("axis"), "SUM": _with_index("axis"), "REDUCE_MAX": _with_index("axis"),
    "REDUCE_MIN": _with_index("axis"), "REDUCE_PROD": _with_index("axis"),
    "TRANSPOSE": _with_index("perm"),
    "RESIZE_BILINEAR": _with_index("size"), "RESIZE_NEAREST_NEIGHBOR": _with_index("size"),
    "DEPTH_TO_SPACE": Rule((Slot("input"),), shape=_reshape),
    "SPACE_TO_DEPTH": Rule((Slot("input"),), shape=_reshape),
    "QUANTIZE": Rule((Slot("input"),), (Slot("output", QUANT),), first=FLOAT | QUANT,
                     shape=_quantize),
    "DEQUANTIZE": Rule((Slot("input"),), (Slot("output", FLOAT),), first=QUANT | {"f16"},
                       shape=_quantize),
    "DENSIFY": Rule((Slot("input"),), first=NUMERIC | {"f16"}, shape=_same_shape),
    "CAST": Rule((Slot("input"),), (Slot("output", NUMERIC | {"bool"}),),
                 first=NUMERIC | {"bool"}, shape=_same_shape),
    "ARG_MAX": Rule((Slot("input"), Slot("axis", INDEX)), (Slot("output", INDEX),)),
    "ARG_MIN": Rule((Slot("input"), Slot("axis", INDEX)), (Slot("output", INDEX),)),
    "SLICE": Rule((Slot("input"), Slot("begin", INDEX), Slot("size", INDEX))),
    "STRIDED_SLICE": Rule((Slot("input"), Slot("begin", INDEX), Slot("end", INDEX),
                           Slot("strides", INDEX))),
    "GATHER": Rule((Slot("params"), Slot("indices", INDEX))),
    "PACK": Rule((Slot("input"),), variadic_inputs=True),
    "UNPACK": Rule((Slot("input"),), variadic_outputs=True),
    "SPLIT": Rule((Slot("axis", INDEX), Slot("input", NUMERIC)), (Slot("output", NUMERIC),),
                  variadic_outputs=True, first=INDEX),
    "BATCH_MATMUL": Rule((Slot("x"), Slot("y"))),
    "PRELU": Rule((Slot("input"), Slot("alpha"))),
    # SSD's post-processing, registered by LiteRT itself; its output shapes are left empty in the
    # FlatBuffer and set at allocation: boxes, classes, scores, count.
    "custom TFLite_Detection_PostProcess": Rule(
        (Slot("box_encodings", FLOAT), Slot("class_predictions", FLOAT),
         Slot("anchors", FLOAT)),
        (Slot("boxes", FLOAT), Slot("classes", FLOAT), Slot("scores", FLOAT),
         Slot("count", FLOAT)), first=FLOAT),
}  # fmt: skip


# --- reading the graph -----------------------------------------------------------------------

def verify_tflite_graph(data: bytes | bytearray | memoryview) -> int:
    """Check a `.tflite` model's graph (read_tflite first); return the bytes of its
    non-constant tensors. Raises ModelFormatError naming the first problem."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    read_tflite(data)  # the FlatBuffer is sound, so the walk below stays in bounds
    r = _Reader(data)
    model = r.table(r.deref(0, "root offset"), "Model")
    opcodes = [_opcode_name(t) for t in model.tables(_MODEL_OPCODES, "operator_codes") or ()]
    buffers = _read_buffers(model, r)
    subgraphs = model.tables(_MODEL_SUBGRAPHS, "subgraphs") or []
    if len(subgraphs) != 1:
        raise ModelFormatError(f"the model has {len(subgraphs)} subgraphs; only single-graph "
                               "models are accepted (no control flow)")
    sg = subgraphs[0]
    tensors = [_tensor(t, i, buffers) for i, t in enumerate(sg.tables(_SG_TENSORS, "t") or ())]
    inputs = list(sg.scalars(_SG_INPUTS, "i", "inputs") or ())
    outputs = list(sg.scalars(_SG_OUTPUTS, "i", "outputs") or ())
    ops = [_operator(op, j, opcodes) for j, op in
           enumerate(sg.tables(_SG_OPERATORS, "operators") or ())]
    _check_dataflow(tensors, inputs, outputs, ops)
    return sum(_bytes(t) for t in tensors if t.constant_bytes is None)


def _opcode_name(t: _Table) -> str:
    code = max(t.scalar(_OC_DEPRECATED_CODE, _I8, 0), t.scalar(_OC_BUILTIN_CODE, _I32, 0))
    if code == BUILTIN_OPERATORS.index("CUSTOM"):
        return "custom " + (t.string(_OC_CUSTOM_CODE, "custom_code") or "?")
    return BUILTIN_OPERATORS[code] if code < len(BUILTIN_OPERATORS) else f"BUILTIN_{code}"


def _tensor(t: _Table, index: int, buffers: list[int | None]) -> _Tensor:
    buffer = t.scalar(_T_BUFFER, _U32, 0)
    tensor = _Tensor(
        index, t.string(_T_NAME, "name") or "", ELEMENT_TYPES[t.scalar(_T_TYPE, _I8, 0)],
        tuple(t.scalars(_T_SHAPE, "i", "shape") or ()), buffers[buffer] if buffer else None,
        bool(t.scalar(_T_IS_VARIABLE, _U8, 0)))
    size = _ELEMENT_SIZES.get(t.scalar(_T_TYPE, _I8, 0))
    sparse = t.table(_T_SPARSITY, "sparsity") is not None
    if tensor.constant_bytes is not None and size is not None and not sparse \
            and tensor.constant_bytes != tensor.elements * size:
        raise ModelFormatError(
            f"tensor {index} ({tensor.name!r}): constant buffer holds {tensor.constant_bytes} "
            f"bytes, but shape {list(tensor.shape)} of {tensor.type} needs "
            f"{tensor.elements * size}")
    return tensor


_SIZES = {ELEMENT_TYPES[code]: size for code, size in _ELEMENT_SIZES.items()}


def _bytes(t: _Tensor) -> int:
    return t.elements * _SIZES.get(t.type, 16)  # strings, resources: a pointer-sized guess


# The builtin_options union member each shape rule reads (tflite.BuiltinOptions); any other
# member is ignored, as LiteRT ignores it, and the rule sees the schema defaults.
_OPTIONS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "AVERAGE_POOL_2D": 5, "MAX_POOL_2D": 5,
            "L2_POOL_2D": 5, "FULLY_CONNECTED": 8, "CONCATENATION": 10}


def _operator(op: _Table, position: int, opcodes: list[str]) -> _Op:
    name = opcodes[op.scalar(_OP_OPCODE_INDEX, _U32, 0)]
    kind = op.scalar(_OP_OPTIONS_TYPE, _U8, 0)
    options = op.table(_OP_OPTIONS_TYPE + 1, "options") if kind and kind == _OPTIONS.get(name) \
        else None
    return _Op(position, name, list(op.scalars(_OP_INPUTS, "i", "inputs") or ()),
               list(op.scalars(_OP_OUTPUTS, "i", "outputs") or ()), options)


def _check_operands(op: _Op, rule: Rule, tensors: list[_Tensor]) -> None:
    for kind, given, slots, variadic in (("input", op.inputs, rule.inputs, rule.variadic_inputs),
                                         ("output", op.outputs, rule.outputs,
                                          rule.variadic_outputs)):
        required = sum(not s.absent for s in slots)
        if len(given) < required or (not variadic and len(given) > len(slots)):
            wanted = f"{required}+" if variadic else (
                f"{required}" if required == len(slots) else f"{required} to {len(slots)}")
            raise _fail(op, f"has {len(given)} {kind}s, needs {wanted} "
                            f"({', '.join(s.name for s in slots)})")
        for k, index in enumerate(given):
            slot = slots[min(k, len(slots) - 1)]
            if index < 0:
                if slot.optional and kind == "input":
                    continue
                raise _fail(op, f"{kind} {k} ({slot.name}) is missing (tensor index {index})")
            types = rule.first if kind == "input" and k == 0 else slot.types
            if types == SAME:
                types = frozenset({tensors[op.inputs[0]].type})
            if tensors[index].type not in types:
                raise _fail(op, f"{kind} {k} ({slot.name}) is {tensors[index].type}, expected "
                                f"{' or '.join(sorted(types))}")


def _check_dataflow(tensors: list[_Tensor], inputs: Sequence[int], outputs: Sequence[int],
                    ops: list[_Op]) -> None:
    written: dict[int, str] = {i: "a graph input" for i in inputs}
    for t in tensors:
        if t.constant_bytes is not None:
            written.setdefault(t.index, "a constant")
        elif t.variable:
            written.setdefault(t.index, "a variable")
    for op in ops:
        rule = OPERATORS.get(op.name)
        if rule is None:
            what = op.name if op.name.startswith("custom ") else f"operator {op.name}"
            raise ModelFormatError(f"operator {op.position}: {what} is not accepted (Rune runs "
                                   f"the {len(OPERATORS)} operators of "
                                   "rune.abi.models.tflite_graph.OPERATORS)")
        _check_operands(op, rule, tensors)
        for k, index in enumerate(op.inputs):
            if index >= 0 and index not in written:
                raise _fail(op, f"input {k} reads tensor {index} ({tensors[index].name!r}), "
                                "which no earlier operator writes")
        for index in op.outputs:
            if index in written:
                raise _fail(op, f"writes tensor {index} ({tensors[index].name!r}), which is "
                                f"already {written[index]}")
            written[index] = f"written by operator {op.position}"
        if rule.shape is not None:
            rule.shape(op, tensors)
    for k, index in enumerate(outputs):
        if index not in written:
            raise ModelFormatError(f"graph output {k} (tensor {index}, "
                                   f"{tensors[index].name!r}) is never written")
