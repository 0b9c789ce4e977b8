"""top_k, compiled to wasm, against a NumPy reference: stable descending order (ties keep the
lower index), scores below the threshold (and NaN) dropped, missing slots padded with index
4294967295 and score 0."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._modern_ops import NUMERIC
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_pipeline, pipeline_module, run_kernel

N = 40
NO_INDEX = 2**32 - 1


def top_k_ref(scores: np.ndarray, k: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    flat = scores.reshape(-1)
    order = sorted((i for i in range(flat.size) if flat[i] >= threshold),
                   key=lambda i: (-float(flat[i]), i))[:k]
    indices = np.full(k, NO_INDEX, np.uint32)
    values = np.zeros(k, flat.dtype)
    indices[:len(order)] = order
    values[:len(order)] = flat[order]
    return indices, values


def compile_top_k(element: str, k: int, threshold: float | None, shape=(N,)):
    args = {"k": k} if threshold is None else {"k": k, "threshold": threshold}
    return compile_pipeline("top_k", args, [(element, list(shape))],
                            [("u32", [k]), (element, [k])])


@pytest.fixture(scope="module", params=[("f32", 5, -1.0), ("f32", 3, None), ("f64", 8, 2.5),
                                        ("i8", 4, -3.5), ("u16", 6, 3.0), ("i64", 2, None)],
                ids=str)
def compiled(request):
    element, k, threshold = request.param
    return element, k, threshold, compile_top_k(element, k, threshold)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_matches_reference_with_many_ties(compiled, data):
    element, k, threshold, rune = compiled
    low = 0 if element[0] == "u" else -6
    scores = np.array(data.draw(st.lists(st.integers(low, 6), min_size=N, max_size=N)),
                      dtype=DTYPES[element])
    indices, values = run_kernel(rune, scores)
    expected = top_k_ref(scores, k, float("-inf") if threshold is None else threshold)
    np.testing.assert_array_equal(indices, expected[0])
    np.testing.assert_array_equal(values, expected[1])


@pytest.mark.parametrize("element", NUMERIC)
def test_every_element_type_over_its_range(element):
    dtype = DTYPES[element]
    rng = np.random.default_rng(4)
    if element in ("f32", "f64"):
        scores = rng.standard_normal(N).astype(dtype) * dtype(1e6)
    else:
        info = np.iinfo(dtype)
        scores = rng.integers(info.min, info.max, N, dtype=dtype, endpoint=True)
        scores[:3] = [info.max, info.min, info.max]
    rune = compile_top_k(element, 7, None)
    indices, values = run_kernel(rune, scores)
    expected = top_k_ref(scores, 7, float("-inf"))
    np.testing.assert_array_equal(indices, expected[0])
    np.testing.assert_array_equal(values, expected[1])


def test_nan_never_passes_and_padding():
    rune = compile_top_k("f32", 4, 0.5, shape=(1, 6))
    scores = np.array([[np.nan, 0.9, 0.2, np.inf, 0.5, np.nan]], np.float32)
    indices, values = run_kernel(rune, scores)
    np.testing.assert_array_equal(indices, [3, 1, 4, NO_INDEX])
    np.testing.assert_array_equal(values, np.array([np.inf, 0.9, 0.5, 0.0], np.float32))


def test_threshold_is_compared_exactly():
    """f32(0.1) is just above 0.1: it passes `>= 0.1` (the threshold is not rounded to f32)."""
    rune = compile_top_k("f32", 2, 0.1, shape=(3,))
    indices, _ = run_kernel(rune, np.array([np.float32(0.1), np.nextafter(np.float32(0.1),
                                                                         np.float32(0)), 0.0],
                                           np.float32))
    np.testing.assert_array_equal(indices, [0, NO_INDEX])


@pytest.mark.parametrize(("threshold", "passing"), [(300.0, 0), (-300.0, 3), (254.5, 1)])
def test_integer_thresholds_outside_or_between_values(threshold, passing):
    rune = compile_top_k("u8", 3, threshold, shape=(3,))
    indices, _ = run_kernel(rune, np.array([0, 255, 7], np.uint8))
    assert (indices != NO_INDEX).sum() == passing


@pytest.mark.parametrize(
    ("args", "inputs", "outputs", "message"),
    [
        ({"k": 2}, [("f32", [2, 3])], [("u32", [2]), ("f32", [2])], "needs a vector of scores"),
        ({"k": 9}, [("f32", [8])], [("u32", [9]), ("f32", [9])], "only 8 scores"),
        ({"k": 2}, [("f32", [8])], [("i32", [2]), ("f32", [2])], "indices as u32"),
        ({"k": 2}, [("f32", [8])], [("u32", [2]), ("f64", [2])], "scores as f32"),
        ({"k": 2}, [("f32", [8])], [("u32", [2])], "takes 1 input.* and gives 2 output"),
        ({"k": 0}, [("f32", [8])], [("u32", [0]), ("f32", [0])], "`k` must be >= 1"),
    ],
)
def test_bad_signatures_are_diagnosed(args, inputs, outputs, message):
    module = pipeline_module("top_k", args, inputs, outputs)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
