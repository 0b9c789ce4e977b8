"""quantize and dequantize, compiled to wasm, against NumPy models of TFLite's conventions:
q = clamp(round_half_even(x / scale) + zero_point), x = (q - zero_point) * scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._modern_ops import INTEGER_RANGES
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

N = 128
QUANTIZED = ["u8", "i8", "u16", "i16", "i32"]
PARAMS = {"u8": (0.02, 128), "i8": (0.10196078568696976, -128), "u16": (0.5, 30000),
          "i16": (0.00390625, 0), "i32": (1e-3, -7)}


def quantize_ref(x: np.ndarray, scale: float, zero_point: int, target: str) -> np.ndarray:
    low, high = INTEGER_RANGES[target]
    steps = np.rint(x / x.dtype.type(scale)).astype(np.float64)  # divide at x's precision
    q = np.clip(steps + zero_point, low, high)
    return np.where(np.isnan(q), zero_point, q).astype(DTYPES[target])


def dequantize_ref(q: np.ndarray, scale: float, zero_point: int, target: str) -> np.ndarray:
    scale64 = np.float64(DTYPES[target](scale))  # the scale at the output's precision
    return ((q.astype(np.float64) - zero_point) * scale64).astype(DTYPES[target])


@pytest.fixture(scope="module", params=[(q, r) for q in QUANTIZED for r in ("f32", "f64")],
                ids=lambda p: f"{p[1]}-{p[0]}")
def pair(request):
    quantized, real = request.param
    scale, zero_point = PARAMS[quantized]
    args = {"scale": scale, "zero_point": zero_point}
    return (quantized, real, scale, zero_point,
            compile_kernel("quantize", args, real, [N], out_element=quantized),
            compile_kernel("dequantize", args, quantized, [N], out_element=real))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(data=st.data())
def test_quantize_matches_reference(pair, data):
    quantized, real, scale, zero_point, quantize, _ = pair
    low, high = INTEGER_RANGES[quantized]
    span = float(DTYPES[real]((high - low) * scale))  # representable at the real precision
    width = 32 if real == "f32" else 64
    x = np.array(data.draw(st.lists(st.floats(-span, span, width=width), min_size=N,
                                    max_size=N)), dtype=DTYPES[real])
    np.testing.assert_array_equal(run_kernel(quantize, x),
                                  quantize_ref(x, scale, zero_point, quantized))


def test_quantize_ties_round_to_even_and_clamp(pair):
    quantized, real, scale, zero_point, quantize, _ = pair
    dtype = DTYPES[real]
    steps = np.arange(-N // 2, N // 2) + 0.5  # exact halves of a step
    x = (steps * dtype(scale)).astype(dtype)
    x[:6] = [np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0]
    got = run_kernel(quantize, x)
    np.testing.assert_array_equal(got, quantize_ref(x, scale, zero_point, quantized))
    low, high = INTEGER_RANGES[quantized]
    assert list(got[:6]) == [zero_point, high, low, high, low, zero_point]


def test_dequantize_matches_reference_over_the_whole_range(pair):
    quantized, real, scale, zero_point, _, dequantize = pair
    low, high = INTEGER_RANGES[quantized]
    q = np.random.default_rng(5).integers(low, high, N, endpoint=True).astype(DTYPES[quantized])
    q[:3] = [low, high, zero_point]
    got = run_kernel(dequantize, q)
    np.testing.assert_array_equal(got, dequantize_ref(q, scale, zero_point, real))
    assert got[2] == 0.0


def test_round_trip_is_within_half_a_step(pair):
    """Half a step, plus the real type's own rounding (x / scale and the product)."""
    quantized, real, scale, zero_point, quantize, dequantize = pair
    low, high = INTEGER_RANGES[quantized]
    x = np.random.default_rng(9).uniform((low - zero_point) * scale, (high - zero_point) * scale,
                                         N).astype(DTYPES[real])
    back = run_kernel(dequantize, run_kernel(quantize, x))
    error = np.abs(back.astype(np.float64) - x)
    assert (error <= scale * 0.5 * (1 + 1e-6) + 2 * np.spacing(np.abs(x))).all()


def test_tflite_microspeech_input_parameters():
    """The microspeech model's input: scale 0.10196078568696976, zero point -128, int8."""
    scale, zero_point = 0.10196078568696976, -128
    rune = compile_kernel("quantize", {"scale": scale, "zero_point": zero_point}, "f32", [8],
                          out_element="i8")
    x = np.array([0.0, 0.05098039, 0.051, 1.0, 13.0, 25.99, 26.0, -1.0], np.float32)
    np.testing.assert_array_equal(run_kernel(rune, x), [-128, -128, -127, -118, -0, 127, 127,
                                                        -128])


def test_shapes_are_kept():
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4)
    rune = compile_kernel("quantize", {"scale": 0.01, "zero_point": 3}, "f32", [2, 3, 4],
                          out_element="i8")
    got = run_kernel(rune, x)
    assert got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, quantize_ref(x, 0.01, 3, "i8"))


@pytest.mark.parametrize(
    ("kernel", "args", "element", "out", "message"),
    [
        ("quantize", {}, "f32", {"out_element": "i8"}, "quantize needs `scale`"),
        ("dequantize", {"zero_point": 3}, "i8", {"out_element": "f32"},
         "dequantize needs `scale`"),
        ("quantize", {"scale": 0.1, "zero_point": 128}, "f32", {"out_element": "i8"},
         r"`zero_point` 128 does not fit i8 \(-128..127\)"),
        ("quantize", {"scale": -0.1}, "f32", {"out_element": "i8"}, "must be >= 0"),
        ("quantize", {"scale": 0.1}, "f32", {"out_element": "f32"},
         "quantized side must be one of u8, i8, u16, i16, i32, not f32"),
        ("quantize", {"scale": 0.1}, "i32", {"out_element": "i8"},
         "real side must be one of f32, f64, not i32"),
        ("dequantize", {"scale": 0.1}, "i8", {"out_element": "i32"},
         "real side must be one of f32, f64, not i32"),
        ("quantize", {"scale": 0.1}, "f32", {"out_element": "i8", "out_shape": [2]},
         r"output must be i8\[4\], not i8\[2\]"),
    ],
)
def test_bad_arguments_are_diagnosed(kernel, args, element, out, message):
    module = kernel_module(kernel, args, element, [4], **out)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
