"""Model handlers: the registry and the TFLite handler on LiteRT."""

from __future__ import annotations

import numpy as np
import pytest
from rune.runtime.errors import ModelError
from rune.runtime.handlers import (
    HandlerRegistry,
    ModelTensorInfo,
    default_registry,
    element_type_of,
)
from rune.runtime.handlers.tflite import TfliteHandler
from rune.runtime.manifest import parse_manifest
from runekit import SINE_MODEL, sine_manifest

SINE_SPEC = parse_manifest(sine_manifest()).models[0]


@pytest.fixture(scope="module")
def sine() -> TfliteHandler:
    return TfliteHandler(memoryview(SINE_MODEL.read_bytes()), SINE_SPEC)


def test_tflite_sine_values(sine: TfliteHandler) -> None:
    assert sine.inputs == (ModelTensorInfo("f32", (1, 1), 4),)
    assert sine.outputs == (ModelTensorInfo("f32", (1, 1), 4),)
    sine.set_input(0, np.array([[1.5707964]], dtype=np.float32))
    sine.invoke()
    out = sine.get_output(0)
    assert out.shape == (1, 1) and out.dtype == np.float32
    # The model is an approximation: it gives ~0.961 at pi/2, not 1.0.
    assert out[0, 0] == pytest.approx(0.9612384, abs=1e-5)
    # Raw little-endian bytes work too, and the interpreter is reused.
    sine.set_input(0, np.float32(0.0).tobytes())
    sine.invoke()
    assert abs(float(sine.get_output(0)[0, 0])) < 0.1


def test_tflite_input_size_mismatch_names_both_shapes(sine: TfliteHandler) -> None:
    with pytest.raises(ModelError) as info:
        sine.set_input(0, np.zeros((1, 2), dtype=np.float32))
    message = str(info.value)
    assert 'model "sine" input 0' in message
    assert "f32[1,2] (8 bytes)" in message and "f32[1,1] (4 bytes)" in message


def test_tflite_bad_slot(sine: TfliteHandler) -> None:
    with pytest.raises(ModelError, match="has no output slot 3"):
        sine.get_output(3)


def test_tflite_bad_model_bytes() -> None:
    with pytest.raises(
        ModelError, match='model "sine" is not a valid TensorFlow Lite model: not a'
    ):
        TfliteHandler(memoryview(b"definitely not a flatbuffer"), SINE_SPEC)


@pytest.mark.parametrize("cut", [8, 100, 1000, 2639])
def test_truncated_tflite_is_refused_before_litert_sees_it(cut: int) -> None:
    with pytest.raises(ModelError, match='model "sine" is not a valid TensorFlow Lite model: '):
        TfliteHandler(memoryview(SINE_MODEL.read_bytes()[:cut]), SINE_SPEC)


def test_corrupted_tflite_is_refused() -> None:
    data = bytearray(SINE_MODEL.read_bytes())
    data[0:4] = (len(data) + 100).to_bytes(4, "little")  # root table offset past the end
    with pytest.raises(ModelError, match="is not a valid TensorFlow Lite model"):
        TfliteHandler(memoryview(bytes(data)), SINE_SPEC)


def test_tflite_direct_buffers_are_the_interpreters_tensors(sine: TfliteHandler) -> None:
    import ctypes

    ctypes.memmove(sine.input_address(0), np.float32(1.5707964).tobytes(), 4)
    sine.invoke()
    out = np.frombuffer(ctypes.string_at(sine.output_address(0), 4), np.float32)
    assert out[0] == pytest.approx(0.9612384, abs=1e-5)
    assert out[0] == sine.get_output(0)[0, 0]


def test_unknown_format_names_it() -> None:
    spec = parse_manifest(sine_manifest("tensorflow")).models[0]
    with pytest.raises(ModelError) as info:
        default_registry.create(spec, memoryview(b""))
    assert 'no handler for model format "tensorflow"' in str(info.value)
    assert "tensorflow-lite" in str(info.value)


class Doubler:
    """A third-party handler: f32 in, doubled f32 out."""

    def __init__(self, model: memoryview, spec: object) -> None:
        self.factor = float(bytes(model).decode() or 2)
        self.inputs = (ModelTensorInfo("f32", (1, 1), 4),)
        self.outputs = (ModelTensorInfo("f32", (1, 1), 4),)
        self._value = np.zeros((1, 1), np.float32)

    def set_input(self, slot: int, data: object) -> None:
        self._value = np.frombuffer(bytes(data), np.float32).reshape(1, 1).copy()  # type: ignore

    def invoke(self) -> None:
        self._value *= self.factor

    def get_output(self, slot: int) -> np.ndarray:
        return self._value


def test_third_party_registration_and_manifest_check() -> None:
    registry = HandlerRegistry()
    registry.register("doubler", Doubler)
    assert registry.formats == ("doubler",)
    spec = parse_manifest(sine_manifest("doubler", length=1)).models[0]
    handler = registry.create(spec, memoryview(b"3"))
    handler.set_input(0, np.float32(2).tobytes())
    handler.invoke()
    assert handler.get_output(0).tolist() == [[6.0]]
    with pytest.raises(ValueError, match="already registered"):
        registry.register("doubler", Doubler)


def test_manifest_model_mismatch_is_a_load_error() -> None:
    raw = sine_manifest()
    raw["tensors"][0] = {"id": 0, "element_type": "i32", "dimensions": [1, 2]}
    spec = parse_manifest(raw).models[0]
    with pytest.raises(ModelError) as info:
        default_registry.create(spec, memoryview(SINE_MODEL.read_bytes()))
    assert "declares i32[1,2] (8 bytes) but the model has f32[1,1] (4 bytes)" in str(info.value)


def test_factory_exceptions_become_model_errors() -> None:
    def broken(model: memoryview, spec: object) -> object:
        raise RuntimeError("boom")

    registry = HandlerRegistry({"tensorflow-lite": broken})  # type: ignore[dict-item]
    with pytest.raises(ModelError, match=r'cannot load model "sine" \(tensorflow-lite\): boom'):
        registry.create(SINE_SPEC, memoryview(b""))


def test_element_type_of() -> None:
    assert element_type_of(np.dtype(np.float32)) == "f32"
    assert element_type_of(np.dtype(">i2")) == "i16"
    assert element_type_of(np.dtype(np.bool_)) is None


def test_tflite_accepts_unaligned_guest_view(sine: TfliteHandler) -> None:
    memory = np.zeros(9, np.uint8)
    memory[1:5] = np.frombuffer(np.float32(1.5707964).tobytes(), np.uint8)
    sine.set_input(0, memory[1:5].view(np.float32).reshape(1, 1))
    sine.invoke()
    assert sine.get_output(0)[0, 0] == pytest.approx(0.9612384, abs=1e-5)
