"""A TFLite model's whole main subgraph as plain data: tensors, constant bytes, operators, options.

The model-file reader (`abi/models/tflite_format.py`, bounds-checked, shared with the runtime)
verifies the file and stops at what the runtime needs. The compiler needs more: every tensor,
every constant buffer and every operator's options. This module walks the same FlatBuffer through
the reader's own bounds-checked tables; the import below is the only place the compiler depends
on that module's layout.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
from rune.abi.models import tflite_format as fmt

ModelFormatError = fmt.ModelFormatError

#: TFLite TensorType code -> NumPy dtype name, for the types a compiled model can hold (names:
#: reading the graph imports NumPy, importing this module does not; tools/deferred_imports.py).
_DTYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 7: "int16",
           9: "int8"}

# Operator table slot of builtin_options (the union's value; its type is the slot before).
_OP_OPTIONS = fmt._OP_OPTIONS_TYPE + 1

# Each options table's fields in schema.fbs order: (name, struct code, default).
# fmt: off
_B, _I, _F = "b", "i", "f"
OPTION_FIELDS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "CONV_2D": (("padding", _B, 0), ("stride_w", _I, 0), ("stride_h", _I, 0),
                ("activation", _B, 0), ("dilation_w", _I, 1), ("dilation_h", _I, 1)),
    "DEPTHWISE_CONV_2D": (("padding", _B, 0), ("stride_w", _I, 0), ("stride_h", _I, 0),
                          ("depth_multiplier", _I, 0), ("activation", _B, 0),
                          ("dilation_w", _I, 1), ("dilation_h", _I, 1)),
    "FULLY_CONNECTED": (("activation", _B, 0), ("weights_format", _B, 0),
                        ("keep_num_dims", _B, 0)),
    "MAX_POOL_2D": (("padding", _B, 0), ("stride_w", _I, 0), ("stride_h", _I, 0),
                    ("filter_w", _I, 0), ("filter_h", _I, 0), ("activation", _B, 0)),
    "SOFTMAX": (("beta", _F, 0.0),),
    "ADD": (("activation", _B, 0),),
    "SUB": (("activation", _B, 0),),
    "MUL": (("activation", _B, 0),),
    "CONCATENATION": (("axis", _I, 0), ("activation", _B, 0)),
    "MEAN": (("keep_dims", _B, 0),),
    "MIRROR_PAD": (("mode", _B, 0),),
    "RESIZE_NEAREST_NEIGHBOR": (("align_corners", _B, 0), ("half_pixel_centers", _B, 0)),
    "STRIDED_SLICE": (("begin_mask", _I, 0), ("end_mask", _I, 0), ("ellipsis_mask", _I, 0),
                      ("new_axis_mask", _I, 0), ("shrink_axis_mask", _I, 0)),
}
# fmt: on
OPTION_FIELDS["AVERAGE_POOL_2D"] = OPTION_FIELDS["MAX_POOL_2D"]
_STRUCTS = {_B: struct.Struct("<b"), _I: struct.Struct("<i"), _F: struct.Struct("<f")}


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    dtype: np.dtype | None  # None: a type no compiled operator reads (string, complex, ...)
    type_name: str  # the reader's spelling (i8, f32, ...)
    shape: tuple[int, ...]
    quantization: fmt.Quantization | None
    data: np.ndarray | None  # constant contents, shaped; None for activations


@dataclass(frozen=True)
class Operator:
    index: int
    name: str  # builtin name (CONV_2D ...) or a custom code
    inputs: tuple[int, ...]  # tensor indices; -1 is an omitted optional input
    outputs: tuple[int, ...]
    options: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def read_graph(data: bytes) -> Graph:
    """Verify the model with the shared reader, then read subgraph 0 in full."""
    model_info = fmt.read_tflite(data)
    if model_info.subgraph_count != 1:
        raise ModelFormatError(
            f"the model has {model_info.subgraph_count} subgraphs; a compiled model has one "
            "(control flow is not supported)")
    r = fmt._Reader(data)
    model = r.table(r.deref(0, "root offset"), "Model")
    opcodes = [fmt._operator_code(t, i)[0]
               for i, t in enumerate(model.tables(fmt._MODEL_OPCODES, "operator_codes") or ())]
    buffers = model.tables(fmt._MODEL_BUFFERS, "buffers") or []
    sg = (model.tables(fmt._MODEL_SUBGRAPHS, "subgraphs") or [])[0]
    tensors = [_tensor(t, i, buffers, r) for i, t in
               enumerate(sg.tables(fmt._SG_TENSORS, "tensors") or ())]
    operators = []
    for j, op in enumerate(sg.tables(fmt._SG_OPERATORS, "operators") or ()):
        name = opcodes[op.scalar(fmt._OP_OPCODE_INDEX, fmt._U32, 0)]
        options_table = op.table(_OP_OPTIONS, f"operator {j} options")
        options = {}
        for slot, (key, code, default) in enumerate(OPTION_FIELDS.get(name, ())):
            value = default
            if options_table is not None:
                value = options_table.scalar(slot, _STRUCTS[code], default)
            options[key] = value
        operators.append(Operator(
            j, name, tuple(op.scalars(fmt._OP_INPUTS, "i", "inputs") or ()),
            tuple(op.scalars(fmt._OP_OUTPUTS, "i", "outputs") or ()), options))
    return Graph(tensors, operators, tuple(sg.scalars(fmt._SG_INPUTS, "i", "inputs") or ()),
                 tuple(sg.scalars(fmt._SG_OUTPUTS, "i", "outputs") or ()))


def _tensor(t, index: int, buffers: list, r) -> Tensor:
    info = fmt._read_tensor(t, index, "subgraph 0", [None] * len(buffers))
    code = t.scalar(fmt._T_TYPE, fmt._I8, 0)
    dtype = _DTYPES.get(code)
    buffer = t.scalar(fmt._T_BUFFER, fmt._U32, 0)
    data = None
    if buffer and dtype is not None:
        raw = _buffer_bytes(buffers[buffer], r, buffer)
        if raw:
            count = int(np.prod(info.shape)) if info.shape else 1
            array = np.frombuffer(raw, dtype=dtype, count=count)
            data = array.reshape(info.shape).copy()
    return Tensor(index, info.name, None if dtype is None else np.dtype(dtype),
                  info.element_type, info.shape, info.quantization, data)


def _buffer_bytes(b, r, index: int) -> bytes:
    vec = b.vector(fmt._BUF_DATA, 1, f"buffers[{index}].data")
    if vec is not None:
        start, count = vec
        return bytes(r.data[start:start + count])
    offset = b.scalar(fmt._BUF_OFFSET, fmt._U64, 0)
    size = b.scalar(fmt._BUF_SIZE, fmt._U64, 0)
    if offset > 1:
        r.check(offset, size, f"buffers[{index}]")
        return bytes(r.data[offset:offset + size])
    return b""
