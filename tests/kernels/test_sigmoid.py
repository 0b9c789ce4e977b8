"""sigmoid, compiled to wasm, measured in ulps against a float64 reference, with the extremes
where the naive 1 / (1 + exp(-x)) overflows or flushes to 0."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, kernel_module, run_kernel

N = 256


@pytest.fixture(scope="module")
def rune():
    return compile_kernel("sigmoid", {}, "f32", [N])


def reference(x: np.ndarray) -> np.ndarray:
    """The exact logistic function in float64 (not yet rounded to f32)."""
    x64 = x.astype(np.float64)
    with np.errstate(over="ignore"):
        return np.where(x64 >= 0, 1.0 / (1.0 + np.exp(-x64)),
                        np.exp(x64) / (1.0 + np.exp(x64)))


def ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / spacing


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_within_four_ulp(rune, data):
    x = np.array(data.draw(st.lists(st.floats(-87.0, 88.0, width=32), min_size=N, max_size=N)),
                 dtype=np.float32)
    assert ulps(run_kernel(rune, x).reshape(-1), reference(x)).max() <= 4.0


def test_random_range_and_monotone(rune):
    x = np.sort(np.random.default_rng(3).uniform(-30, 30, N).astype(np.float32))
    got = run_kernel(rune, x).reshape(-1)
    assert ulps(got, reference(x)).max() <= 4.0
    assert (np.diff(got) >= 0).all()


def test_extremes(rune):
    x = np.zeros(N, np.float32)
    specials = np.array([0.0, -0.0, 100.0, -100.0, 1e30, -1e30, np.inf, -np.inf, np.nan,
                         -90.0, -103.0, -104.0, 16.7, 17.0], np.float32)
    x[: len(specials)] = specials
    got = run_kernel(rune, x).reshape(-1)[: len(specials)]
    assert got[0] == got[1] == 0.5
    assert got[2] == got[4] == got[6] == 1.0
    assert got[5] == got[7] == 0.0
    assert np.isnan(got[8])
    # e^-100 and e^-90 are subnormal but representable: no flush to 0 (naive 1/(1+e^100) is 0).
    assert ulps(got[[3, 9]], np.exp([-100.0, -90.0])).max() <= 1.0
    assert 0 < got[10] < 1e-44 and got[11] == 0.0  # subnormal e^-103, e^-104 rounds to 0
    assert got[12] < 1.0 and got[13] < 1.0  # 1 - e^-17 still rounds below 1 in f32
    assert ulps(got[12:14], reference(specials[12:14])).max() <= 1.0


def test_keeps_shape():
    x = np.linspace(-5, 5, 12, dtype=np.float32).reshape(1, 3, 4)
    got = run_kernel(compile_kernel("sigmoid", {}, "f32", [1, 3, 4]), x)
    assert got.shape == (1, 3, 4)
    assert ulps(got, reference(x)).max() <= 4.0


@pytest.mark.parametrize("element", ["f64", "i32", "u8"])
def test_only_f32(element):
    with pytest.raises(DiagnosticError, match=f"sigmoid does not accept {element}"):
        run_passes(kernel_module("sigmoid", {}, element, [4]), CompileOptions())
