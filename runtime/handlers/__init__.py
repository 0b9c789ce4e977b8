"""Model handlers: the host side of `model_set_input` / `model_invoke` / `model_get_output`.

A registry maps a manifest model `format` (`tensorflow-lite`, ...) to a factory, so a third party
adds a format with `register_handler(format, factory)` and never edits this package. Built-in
handlers (TensorFlow Lite on LiteRT, ONNX on onnxruntime; TensorFlow.js models are refused with
a ModelError that says why, handlers/tfjs.py) are imported lazily: loading a rune
without a TFLite model never imports LiteRT. To change how a built-in handler is made (say, the
number of LiteRT threads), register your own factory for its format in a copied registry:
`registry.register("tensorflow-lite", lambda m, s: TfliteHandler(m, s, threads=4),
replace=True)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import ModelError
from ..manifest import ELEMENT_DTYPES, ModelSpec, TensorSpec

#: What a handler accepts for an input / returns for an output: bytes or an array whose raw
#: little-endian bytes are the tensor. Inputs may be views of guest memory: copy, never keep.
TensorBytes = bytes | bytearray | memoryview | np.ndarray


@dataclass(frozen=True)
class ModelTensorInfo:
    """A model's own view of one input/output, used to check the manifest at load time.

    `element_type` uses the manifest's spelling, or None if the model's type has none.
    """

    element_type: str | None
    shape: tuple[int, ...]
    nbytes: int

    def describe(self) -> str:
        return f"{self.element_type or '?'}[{','.join(map(str, self.shape))}]"


@runtime_checkable
class ModelHandler(Protocol):
    """One loaded model, kept across runs. Slots follow the manifest's `inputs`/`outputs`.

    `inputs`/`outputs` describe the model's tensors for the load-time check; a handler that
    cannot tell sets them to None (or omits them) and only the run-time size checks apply.
    """

    inputs: Sequence[ModelTensorInfo] | None
    outputs: Sequence[ModelTensorInfo] | None

    def set_input(self, slot: int, data: TensorBytes) -> None: ...

    def invoke(self) -> None: ...

    def get_output(self, slot: int) -> TensorBytes: ...


@runtime_checkable
class DirectBuffers(Protocol):
    """Optional, for speed: a handler whose input and output tensors keep fixed addresses with
    exactly the manifest's byte sizes for the handler's whole life. The host then copies guest
    memory straight to and from them and never calls `set_input`/`get_output`."""

    def input_address(self, slot: int) -> int: ...

    def output_address(self, slot: int) -> int: ...


#: Builds a handler from the model's bytes (a view into the rune; copy what you keep).
HandlerFactory = Callable[[memoryview, ModelSpec], ModelHandler]


def element_type_of(dtype: np.dtype) -> str | None:
    """The manifest element type for a numpy dtype, or None (e.g. bool, float16)."""
    dtype = np.dtype(dtype)
    for name, candidate in ELEMENT_DTYPES.items():
        if name != "utf8" and candidate.newbyteorder("=") == dtype.newbyteorder("="):
            return name
    return None


def _check_tensors(
    spec: ModelSpec, kind: str, declared: Sequence[TensorSpec], actual: Sequence[ModelTensorInfo]
) -> None:
    if len(declared) != len(actual):
        raise ModelError(
            f'model "{spec.name}" has {len(actual)} {kind}s but the manifest declares '
            f"{len(declared)}"
        )
    for slot, (want, have) in enumerate(zip(declared, actual, strict=True)):
        same_type = have.element_type is None or have.element_type == want.element_type
        if not same_type or have.nbytes != want.nbytes:
            raise ModelError(
                f'model "{spec.name}" {kind} {slot}: the manifest declares {want.describe()} '
                f"({want.nbytes} bytes) but the model has {have.describe()} ({have.nbytes} bytes)"
            )


class HandlerRegistry:
    """Model format -> handler factory. Copy it (`copy()`) to customise one `Rune` only."""

    def __init__(self, factories: Mapping[str, HandlerFactory] | None = None) -> None:
        self._factories: dict[str, HandlerFactory] = dict(factories or {})

    def register(self, format: str, factory: HandlerFactory, *, replace: bool = False) -> None:
        """Add a factory for a manifest model format."""
        if format in self._factories and not replace:
            raise ValueError(f"a handler for model format {format!r} is already registered")
        self._factories[format] = factory

    def copy(self) -> HandlerRegistry:
        return HandlerRegistry(self._factories)

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self._factories)

    def factory(self, spec: ModelSpec) -> HandlerFactory:
        try:
            return self._factories[spec.format]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise ModelError(
                f'no handler for model format "{spec.format}" (model "{spec.name}"); '
                f"supported formats: {known}"
            ) from None

    def create(self, spec: ModelSpec, model: memoryview) -> ModelHandler:
        """Build the handler and check its tensors against the manifest, so a mismatch is a
        load-time error rather than a mid-run one."""
        factory = self.factory(spec)
        try:
            handler = factory(model, spec)
        except ModelError:
            raise
        except Exception as exc:  # a third-party factory may raise anything
            raise ModelError(f'cannot load model "{spec.name}" ({spec.format}): {exc}') from exc
        inputs = getattr(handler, "inputs", None)
        outputs = getattr(handler, "outputs", None)
        if inputs is not None:
            _check_tensors(spec, "input", spec.inputs, inputs)
        if outputs is not None:
            _check_tensors(spec, "output", spec.outputs, outputs)
        return handler


def _tflite_factory(model: memoryview, spec: ModelSpec) -> ModelHandler:
    from .tflite import TfliteHandler

    return TfliteHandler(model, spec)


def _onnx_factory(model: memoryview, spec: ModelSpec) -> ModelHandler:
    from .onnx import OnnxHandler

    return OnnxHandler(model, spec)


def _tfjs_factory(model: memoryview, spec: ModelSpec) -> ModelHandler:
    from .tfjs import refuse_tfjs

    return refuse_tfjs(model, spec)


default_registry = HandlerRegistry(
    {"tensorflow-lite": _tflite_factory, "onnx": _onnx_factory, "tensorflow-js": _tfjs_factory}
)


def register_handler(format: str, factory: HandlerFactory, *, replace: bool = False) -> None:
    """Register a model handler in the default registry used by `Rune.load`."""
    default_registry.register(format, factory, replace=replace)


__all__ = [
    "DirectBuffers",
    "HandlerFactory",
    "HandlerRegistry",
    "ModelHandler",
    "ModelTensorInfo",
    "TensorBytes",
    "default_registry",
    "element_type_of",
    "register_handler",
]
