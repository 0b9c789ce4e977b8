"""ONNX models on onnxruntime (the original never ran them).

The model is checked with the ONNX checker first (models/onnx_format.py). The session is built
once per loaded rune, on the CPU provider with one intra-op thread so that results are
bit-identical from run to run. Symbolic dimensions (a dynamic batch, say) take the size the
manifest declares for them. Inputs are copied into buffers the handler owns and passed to every
run; outputs are the arrays onnxruntime returns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rune.abi.models.errors import ModelFormatError
from rune.abi.models.onnx_format import OnnxTensor
from rune.abi.models.onnx_rules import check_onnx

from ..errors import ModelError
from ..manifest import ModelSpec, TensorSpec
from . import ModelTensorInfo, TensorBytes, element_type_of


def _session(content: bytes, spec: ModelSpec, threads: int) -> Any:
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelError(
            "ONNX models need the onnxruntime package (pip install onnxruntime==1.32.0)"
        ) from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(content, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f'cannot load ONNX model "{spec.name}": {exc}') from exc


def _shape(tensor: OnnxTensor, declared: TensorSpec | None, spec: ModelSpec) -> tuple[int, ...]:
    """Fixed dimensions as they are; symbolic ones from the manifest's declaration."""
    if all(isinstance(d, int) for d in tensor.shape):
        return tuple(int(d) for d in tensor.shape)  # type: ignore[arg-type]
    if declared is None or len(declared.dimensions) != len(tensor.shape):
        raise ModelError(
            f'model "{spec.name}" tensor {tensor.name} has dynamic shape {list(tensor.shape)} '
            "that the manifest does not pin down"
        )
    return tuple(
        d if isinstance(d, int) else declared.dimensions[i] for i, d in enumerate(tensor.shape)
    )


class OnnxHandler:
    """One ONNX model: set inputs, invoke, read outputs, by manifest slot."""

    def __init__(self, model: bytes | memoryview, spec: ModelSpec, threads: int = 1) -> None:
        self.spec = spec
        content = bytes(model)
        try:
            info = check_onnx(content)  # the checker, then no external data or custom ops
        except ModelFormatError as exc:
            raise ModelError(
                f'model "{spec.name}" is not a valid ONNX model: {exc.message}'
            ) from None
        self._session = _session(content, spec, threads)
        self._feeds: dict[str, np.ndarray] = {}
        inputs = []
        for slot, tensor in enumerate(info.inputs):
            declared = spec.inputs[slot] if slot < len(spec.inputs) else None
            buffer = np.zeros(_shape(tensor, declared, spec), dtype=self._dtype(tensor))
            self._feeds[tensor.name] = buffer
            inputs.append(
                ModelTensorInfo(element_type_of(buffer.dtype), buffer.shape, buffer.nbytes)
            )
        self.inputs = tuple(inputs)
        outputs = []
        for slot, tensor in enumerate(info.outputs):
            declared = spec.outputs[slot] if slot < len(spec.outputs) else None
            shape = _shape(tensor, declared, spec)
            dtype = self._dtype(tensor)
            outputs.append(
                ModelTensorInfo(element_type_of(dtype), shape, math.prod(shape) * dtype.itemsize)
            )
        self.outputs = tuple(outputs)
        self._output_names = [t.name for t in info.outputs]
        self._results: list[np.ndarray] = []

    def _dtype(self, tensor: OnnxTensor) -> np.dtype:
        try:
            return np.dtype(tensor.dtype)
        except TypeError:
            raise ModelError(
                f'model "{self.spec.name}" tensor {tensor.name} has type {tensor.dtype}, which no '
                "rune tensor type matches"
            ) from None

    def _slot(self, items: Any, kind: str, slot: int) -> Any:
        if not 0 <= slot < len(items):
            raise ModelError(
                f'model "{self.spec.name}" has no {kind} slot {slot} (it has {len(items)})'
            )
        return items[slot]

    def set_input(self, slot: int, data: TensorBytes) -> None:
        """Copy one input into the handler's buffer; its byte size must match exactly."""
        buffer = self._slot(list(self._feeds.values()), "input", slot)
        raw = (
            np.frombuffer(data, np.uint8)
            if not isinstance(data, np.ndarray)
            else np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        )
        if raw.size != buffer.nbytes:
            raise ModelError(
                f'model "{self.spec.name}" input {slot}: got {raw.size} bytes but the model '
                f"expects {self.inputs[slot].describe()} ({buffer.nbytes} bytes)"
            )
        buffer.reshape(-1).view(np.uint8)[:] = raw

    def invoke(self) -> None:
        try:
            self._results = self._session.run(self._output_names, self._feeds)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f'model "{self.spec.name}" failed to run: {exc}') from exc

    def get_output(self, slot: int) -> np.ndarray:
        self._slot(self._output_names, "output", slot)
        if not self._results:
            raise ModelError(f'model "{self.spec.name}" has not been invoked')
        return np.asarray(self._results[slot])
