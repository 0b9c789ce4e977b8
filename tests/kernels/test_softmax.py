"""softmax, compiled to wasm, against NumPy: f32 exp, a sequential f32 sum, one division each.

Our exp is within 2 ulp of the correctly rounded one (the original's libm expf is within 1), so
results are compared in ulps rather than bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, kernel_module, run_kernel

SHAPES = [(3,), (1, 10), (2, 3, 4), (1, 1001)]
MAX_ULPS = 4


def reference(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(values.astype(np.float64)).astype(np.float32)  # expf, correctly rounded
        total = np.cumsum(e.reshape(-1), dtype=np.float32)[-1]  # left to right, in f32
        return e / total


def ulps(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Distance in f32 steps at the expected value (a floor of the smallest normal's step)."""
    spacing = np.maximum(np.spacing(np.abs(expected)), np.spacing(np.float32(1.2e-38)))
    return np.abs(got.astype(np.float64) - expected) / spacing.astype(np.float64)


@pytest.fixture(scope="module", params=SHAPES, ids=str)
def compiled(request):
    return request.param, compile_kernel("softmax", {}, "f32", request.param)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(data=st.data())
def test_random_inputs_within_ulps(compiled, data):
    shape, rune = compiled
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    scale = data.draw(st.floats(0.01, 40.0))
    values = rng.uniform(-scale, scale, shape).astype(np.float32)
    got = run_kernel(rune, values)
    expected = reference(values)
    assert got.shape == shape and got.dtype == np.float32
    assert ulps(got, expected).max() <= MAX_ULPS


def test_the_originals_unit_test_vector():
    rune = compile_kernel("softmax", {}, "f32", [3])
    got = run_kernel(rune, np.array([2.3, 12.4, 5.1], dtype=np.float32))
    should_be = np.array([0.000041050153, 0.99928397, 0.00067505526], dtype=np.float32)
    assert ulps(got, should_be).max() <= MAX_ULPS


@pytest.fixture(scope="module")
def four():
    return compile_kernel("softmax", {}, "f32", [4])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # No max subtraction: exp overflows above 88.72, inf / inf is NaN, the rest 0.
        ([100.0, 1.0, 2.0, 3.0], [np.nan, 0.0, 0.0, 0.0]),
        ([89.0, 89.0, 0.0, 0.0], [np.nan, np.nan, 0.0, 0.0]),
        # Everything below -104 underflows to 0 and 0 / 0 is NaN.
        ([-200.0, -150.0, -120.0, -105.0], [np.nan] * 4),
        # A NaN input poisons the sum.
        ([1.0, np.nan, 2.0, 3.0], [np.nan] * 4),
        ([-np.inf, 0.0, -np.inf, 0.0], [0.0, 0.5, 0.0, 0.5]),
        ([0.0, 0.0, 0.0, 0.0], [0.25] * 4),
    ],
)
def test_overflow_underflow_and_nan(four, values, expected):
    got = run_kernel(four, np.array(values, dtype=np.float32))
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float32))
    np.testing.assert_array_equal(got, reference(np.array(values, dtype=np.float32)))


def test_sums_to_one(four):
    got = run_kernel(four, np.array([-3.0, 0.5, 20.0, 7.0], dtype=np.float32))
    assert abs(float(got.astype(np.float64).sum()) - 1.0) < 1e-6


@pytest.mark.parametrize(
    ("element", "out_element", "message"),
    [
        ("f64", "f64", "input must be f32, not f64"),
        ("i8", "i8", "input must be f32, not i8"),
        ("f32", "f64", r"output must be f32\[4\], not f64\[4\]"),
    ],
)
def test_wrong_types_are_diagnosed(element, out_element, message):
    module = kernel_module("softmax", {}, element, [4], out_element=out_element)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
