"""Read and check ONNX models (``.onnx``) with the `onnx` package's parser and checker.

The runtime calls :func:`read_onnx` before onnxruntime sees a model, so a truncated or corrupted
file is a :class:`ModelFormatError` naming what is wrong, and `rune model-info` uses the same
summary. Tensor shapes keep symbolic dimensions as their names (e.g. ``"batch"``) or None.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelFormatError

#: ONNX TensorProto element type -> numpy dtype, for the types a rune tensor can have.
ONNX_DTYPES = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    11: np.dtype(np.float64),
    12: np.dtype(np.uint32),
    13: np.dtype(np.uint64),
}


@dataclass(frozen=True)
class OnnxTensor:
    name: str
    #: numpy dtype name (e.g. "float32"), or the ONNX type name if numpy has none here.
    dtype: str
    shape: tuple[int | str | None, ...]


@dataclass(frozen=True)
class OnnxModel:
    ir_version: int
    opsets: dict[str, int]
    producer: str
    inputs: list[OnnxTensor]
    outputs: list[OnnxTensor]
    #: Operator type -> how many nodes of the main graph use it.
    operators: dict[str, int]


def read_onnx(data: bytes | bytearray | memoryview) -> OnnxModel:
    """Parse and check a model; raises ModelFormatError for anything invalid."""
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:
        raise ModelFormatError(
            "checking ONNX models needs the onnx package (pip install onnx==1.23.2)"
        ) from None
    if not len(data):
        raise ModelFormatError("the model is empty")
    try:
        model = onnx.load_model_from_string(bytes(data))
        onnx.checker.check_model(model)
    except DecodeError as exc:
        raise ModelFormatError(f"not an ONNX model: the protobuf does not parse ({exc})") from None
    except (onnx.checker.ValidationError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFormatError(f"the ONNX checker rejects the model: {first}") from None
    graph = model.graph
    constants = {_text(init.name) for init in graph.initializer}
    return OnnxModel(
        ir_version=model.ir_version,
        opsets={_text(op.domain) or "ai.onnx": op.version for op in model.opset_import},
        producer=" ".join(_text(p) for p in (model.producer_name, model.producer_version) if p),
        inputs=[_tensor(v, onnx) for v in graph.input if _text(v.name) not in constants],
        outputs=[_tensor(v, onnx) for v in graph.output],
        operators=dict(Counter(_text(node.op_type) for node in graph.node)),
    )


def _text(value: str | bytes) -> str:
    """A protobuf string field; one that is not valid UTF-8 comes back as bytes."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _tensor(value: Any, onnx: Any) -> OnnxTensor:
    tensor_type = value.type.tensor_type
    elem = tensor_type.elem_type
    dtype = ONNX_DTYPES.get(elem)
    if dtype is not None:
        name = dtype.name
    elif elem in onnx.TensorProto.DataType.values():
        name = onnx.TensorProto.DataType.Name(elem).lower()
    else:  # a type code newer than (or unknown to) this onnx package: not an error here
        name = f"type {elem}"
    shape = tuple(
        d.dim_value if d.HasField("dim_value") else (_text(d.dim_param) or None)
        for d in tensor_type.shape.dim
    )
    return OnnxTensor(_text(value.name), name, shape)
