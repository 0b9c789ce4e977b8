"""`rune model-info`: what a model file holds (inputs, outputs, operators, quantization).

TensorFlow Lite files are read by the pure-Python flatbuffer reader, ONNX files by the onnx
package; neither needs an inference runtime. The format comes from the extension, else from
the file's content (a TFLite flatbuffer carries `TFL3` at byte 4).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..bounded import BoundsError, read_regular_file
from .errors import ModelFormatError
from .onnx_format import read_onnx
from .tflite_format import TFLITE_IDENTIFIER, TensorInfo, read_tflite


def model_info(path: str | Path) -> dict[str, Any]:
    """A JSON-ready description of the model at `path`. Raises OSError or ModelFormatError."""
    try:  # a regular file of bounded size: `rune model-info /dev/zero` must not hang
        data = read_regular_file(path)
    except BoundsError as exc:
        raise ModelFormatError(str(exc)) from None
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx" or (suffix != ".tflite" and data[4:8] != TFLITE_IDENTIFIER):
        return _onnx_info(data)
    return _tflite_info(data)


def _tflite_tensor(t: TensorInfo) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": t.name,
        "element_type": t.element_type,
        "shape": None if t.shape is None else list(t.shape_signature or t.shape),
    }
    if t.quantization is not None:
        q = t.quantization
        info["quantization"] = {
            "scale": list(q.scale),
            "zero_point": list(q.zero_point),
            "quantized_dimension": q.quantized_dimension,
        }
    return info


def _tflite_info(data: bytes) -> dict[str, Any]:
    model = read_tflite(data)
    return {
        "format": "tensorflow-lite",
        "version": model.version,
        "description": model.description,
        "subgraphs": model.subgraph_count,
        "tensors": model.tensor_count,
        "inputs": [_tflite_tensor(t) for t in model.inputs],
        "outputs": [_tflite_tensor(t) for t in model.outputs],
        "operators": dict(Counter(model.operators)),
    }


def _onnx_info(data: bytes) -> dict[str, Any]:
    try:
        model = read_onnx(data)
    except ModelFormatError as exc:
        raise ModelFormatError(
            f"neither a TensorFlow Lite model (no TFL3 identifier) nor a valid ONNX model: "
            f"{exc.message}"
        ) from None
    return {
        "format": "onnx",
        "ir_version": model.ir_version,
        "opsets": model.opsets,
        "producer": model.producer,
        "inputs": [
            {"name": t.name, "dtype": t.dtype, "shape": list(t.shape)} for t in model.inputs
        ],
        "outputs": [
            {"name": t.name, "dtype": t.dtype, "shape": list(t.shape)} for t in model.outputs
        ],
        "operators": model.operators,
    }


def _shape(shape: list[Any] | None) -> str:
    if shape is None:
        return "[?] (shape set when the interpreter allocates tensors)"
    return "[" + ",".join("?" if d is None or d == -1 else str(d) for d in shape) + "]"


def format_model_info(info: dict[str, Any]) -> str:
    """The text form of `model_info`."""
    if info["format"] == "onnx":
        head = f"onnx model (IR {info['ir_version']}, opsets " + ", ".join(
            f"{domain} {version}" for domain, version in info["opsets"].items()
        )
        head += f", producer {info['producer']})" if info["producer"] else ")"
    else:
        head = f"tensorflow-lite model (schema {info['version']}, {info['subgraphs']} subgraph(s))"
        if info["description"]:
            head += f": {info['description']}"
    lines = [head]
    for kind in ("inputs", "outputs"):
        lines += ["", f"{kind}:"]
        for i, t in enumerate(info[kind]):
            etype = t.get("element_type") or t.get("dtype")
            line = f"  [{i}] {t['name']}  {etype}{_shape(t['shape'])}"
            q = t.get("quantization")
            if q:
                scale = ", ".join(f"{s:g}" for s in q["scale"][:4])
                zero = ", ".join(str(z) for z in q["zero_point"][:4])
                more = ", ..." if len(q["scale"]) > 4 else ""
                line += f"  quantized: scale [{scale}{more}] zero_point [{zero}{more}]"
            lines.append(line)
    ops = info["operators"]
    lines += ["", f"operators ({sum(ops.values())} in all):"]
    lines += [f"  {name} x{count}" for name, count in sorted(ops.items(), key=lambda i: -i[1])]
    return "\n".join(lines)
