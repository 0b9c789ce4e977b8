"""audio_float_conversion, compiled to wasm, against NumPy: every i16 value, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, kernel_module, run_kernel


def reference(samples: np.ndarray) -> np.ndarray:
    """(x as f32 / 32767.0).clamp(-1, 1), in f32."""
    return np.clip(samples.astype(np.float32) / np.float32(32767.0), -1.0, 1.0).astype(np.float32)


def convert(samples: np.ndarray, **args) -> np.ndarray:
    rune = compile_kernel("audio_float_conversion", args, "i16", list(samples.shape),
                          out_element="f32")
    return run_kernel(rune, samples)


def test_every_i16_value_bit_for_bit():
    samples = np.arange(-32768, 32768, dtype=np.int16)
    got = convert(samples)
    np.testing.assert_array_equal(got.view(np.uint32), reference(samples).view(np.uint32))


def test_the_original_unit_test_values():
    got = convert(np.array([0, 16383, -16384, 32767, -32768, -32767], dtype=np.int16))
    np.testing.assert_array_equal(got, np.array([0.0, 0.49998474, -0.50001526, 1.0, -1.0, -1.0],
                                                dtype=np.float32))


@pytest.mark.parametrize("shape", [[15], [1, 16000], [2, 3, 4]])
def test_shapes_are_kept(shape):
    samples = np.random.default_rng(len(shape)).integers(-32768, 32767, size=shape,
                                                         dtype=np.int16)
    got = convert(samples, i16_max_as_float=1.0)  # accepted and ignored, as the original did
    assert got.shape == tuple(shape)
    np.testing.assert_array_equal(got, reference(samples))


@pytest.mark.parametrize(
    ("element", "out", "message"),
    [
        ("i32", {"out_element": "f32"}, "takes i16 samples, not i32"),
        ("f32", {}, "takes i16 samples, not f32"),
        ("i16", {"out_element": "f64"}, r"gives f32\[8\], not f64\[8\]"),
        ("i16", {"out_element": "f32", "out_shape": [1, 8]}, r"gives f32\[8\], not f32\[1, 8\]"),
    ],
)
def test_bad_types_are_diagnosed(element, out, message):
    module = kernel_module("audio_float_conversion", {}, element, [8], **out)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
