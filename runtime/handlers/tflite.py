"""TensorFlow Lite models on LiteRT (`ai_edge_litert`), falling back to `tensorflow.lite`.

The model is verified by the pure-Python flatbuffer reader and graph verifier (tflite_graph.py)
before LiteRT sees it, so a truncated, corrupted or ill-formed model is a clear ModelError rather
than a crash in native code. The interpreter is
built and allocated once per loaded rune and reused for every run: allocation is the expensive
part, and a rune's tensor shapes are fixed at compile time. For the same reason the input and
output tensors keep their buffers for the interpreter's life, and the handler hands their
addresses to the host (`input_address`/`output_address`), which copies guest memory straight
into and out of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rune.abi.models.errors import ModelFormatError
from rune.abi.models.tflite_graph import verify_tflite_graph

from ..errors import ModelError
from ..manifest import ModelSpec
from . import ModelTensorInfo, TensorBytes, element_type_of


def interpreter_class() -> Any:
    """LiteRT's Interpreter, else TensorFlow's; a ModelError if neither is installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tensorflow.lite import Interpreter  # type: ignore[import-not-found]
        except ImportError:
            raise ModelError(
                "TensorFlow Lite models need the ai-edge-litert package "
                "(pip install ai-edge-litert) or tensorflow"
            ) from None
    return Interpreter


def _reference_resolver() -> Any:
    try:
        from ai_edge_litert.interpreter import OpResolverType
    except ImportError:
        from tensorflow.lite.experimental import OpResolverType  # type: ignore[import-not-found]
    return OpResolverType.BUILTIN_REF


def _as_u8(data: TensorBytes) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


def _shape(data: TensorBytes) -> str:
    if isinstance(data, np.ndarray) and data.dtype != np.uint8:
        etype = element_type_of(data.dtype) or str(data.dtype)
        return f"{etype}[{','.join(map(str, data.shape))}] ({data.nbytes} bytes)"
    return f"{len(_as_u8(data))} bytes"


class TfliteHandler:
    """One TFLite model: set inputs, invoke, read outputs, by manifest slot."""

    def __init__(
        self, model: bytes | memoryview, spec: ModelSpec, threads: int | None = None,
        reference: bool = False,
    ) -> None:
        """`reference` runs LiteRT's reference kernels (BUILTIN_REF), the arithmetic that
        models compiled into a rune reproduce bit for bit."""
        self.spec = spec
        content = bytes(model)
        try:  # the graph too: LiteRT does not defend itself against a wrong one
            self.tensor_bytes = verify_tflite_graph(content)
        except ModelFormatError as exc:
            raise ModelError(
                f'model "{spec.name}" is not a valid TensorFlow Lite model: {exc.message}'
            ) from None
        interpreter = interpreter_class()
        try:
            options = {"experimental_op_resolver_type": _reference_resolver()} if reference else {}
            self._interp = interpreter(model_content=content, num_threads=threads, **options)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f'cannot load TensorFlow Lite model "{spec.name}": {exc}') from exc
        self._in = self._interp.get_input_details()
        self._out = self._interp.get_output_details()
        self.inputs = tuple(self._info(d) for d in self._in)
        self.outputs = tuple(self._info(d) for d in self._out)

    @staticmethod
    def _info(detail: dict[str, Any]) -> ModelTensorInfo:
        dtype = np.dtype(detail["dtype"])
        shape = tuple(int(d) for d in detail["shape"])
        return ModelTensorInfo(element_type_of(dtype), shape, int(np.prod(shape)) * dtype.itemsize)

    def _detail(self, details: list[dict[str, Any]], kind: str, slot: int) -> dict[str, Any]:
        if not 0 <= slot < len(details):
            raise ModelError(
                f'model "{self.spec.name}" has no {kind} slot {slot} (it has {len(details)})'
            )
        return details[slot]

    def set_input(self, slot: int, data: TensorBytes) -> None:
        """Copy one input in; its byte size must match the interpreter's tensor exactly."""
        detail = self._detail(self._in, "input", slot)
        info = self.inputs[slot]
        raw = _as_u8(data)
        if raw.size != info.nbytes:
            raise ModelError(
                f'model "{self.spec.name}" input {slot} ({detail["name"]}): got {_shape(data)} '
                f"but the model expects {info.describe()} ({info.nbytes} bytes)"
            )
        # frombuffer over a possibly unaligned guest view; set_tensor copies it.
        value = np.frombuffer(raw, dtype=np.dtype(detail["dtype"])).reshape(info.shape)
        self._interp.set_tensor(detail["index"], value)

    def _address(self, details: list[dict[str, Any]], kind: str, slot: int) -> int:
        view = self._interp.tensor(self._detail(details, kind, slot)["index"])()
        address = int(view.ctypes.data)
        del view  # a live view would make LiteRT refuse to invoke
        return address

    def input_address(self, slot: int) -> int:
        """Where input `slot`'s bytes live, for the interpreter's whole life."""
        return self._address(self._in, "input", slot)

    def output_address(self, slot: int) -> int:
        """Where output `slot`'s bytes live, for the interpreter's whole life."""
        return self._address(self._out, "output", slot)

    def invoke(self) -> None:
        try:
            self._interp.invoke()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f'model "{self.spec.name}" failed to run: {exc}') from exc

    def get_output(self, slot: int) -> np.ndarray:
        """A copy of one output tensor."""
        detail = self._detail(self._out, "output", slot)
        return self._interp.get_tensor(detail["index"])
