"""argmax, compiled to wasm, against the original's fold written in plain Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, kernel_module, run_kernel

SHAPES = [(4,), (1, 10), (2, 3, 5), (1, 1000)]


def reference(values: np.ndarray) -> int:
    """Start at (0, 0.0); move to a later element only when it is strictly greater."""
    best_index, best = 0, np.float32(0.0)
    for index, value in enumerate(values.reshape(-1)):
        if value > best:
            best_index, best = index, value
    return best_index


@pytest.fixture(scope="module", params=SHAPES, ids=str)
def compiled(request):
    shape = request.param
    return shape, compile_kernel("argmax", {}, "f32", shape, out_element="u32", out_shape=[1])


@pytest.fixture(scope="module")
def four():
    return compile_kernel("argmax", {}, "f32", [4], out_element="u32", out_shape=[1])


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_random_inputs(compiled, data):
    shape, rune = compiled
    size = int(np.prod(shape))
    # Few distinct values, so ties and all-non-positive inputs are common.
    pool = st.sampled_from([-3.5, -1.0, -0.0, 0.0, 0.25, 1.0, 2.0, 7.5, np.nan, np.inf])
    values = np.array(
        data.draw(st.one_of(
            st.lists(pool, min_size=size, max_size=size),
            st.lists(st.floats(-1e6, 1e6, width=32), min_size=size, max_size=size),
        )), dtype=np.float32).reshape(shape)
    got = run_kernel(compiled[1], values)
    assert got.dtype == np.uint32 and got.shape == (1,)
    assert got[0] == reference(values)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2.3, 12.4, 55.1, 15.4], 2),          # the original's own unit test
        ([-5.0, -1.0, -2.0, -3.0], 0),         # nothing above 0.0: index 0
        ([0.0, 0.0, -0.0, 0.0], 0),
        ([-1.0, 3.0, 3.0, 1.0], 1),            # ties keep the first
        ([np.nan, -1.0, np.nan, 0.5], 3),      # NaN never wins
        ([np.nan] * 4, 0),
        ([1.0, np.inf, 2.0, np.inf], 1),
        ([1e-45, 0.0, 0.0, 0.0], 0),           # a subnormal above 0.0 at index 0
        ([0.0, 1e-45, 0.0, 0.0], 1),
    ],
)
def test_edge_cases(four, values, expected):
    assert run_kernel(four, np.array(values, dtype=np.float32))[0] == expected


@pytest.mark.parametrize(
    ("element", "out_element", "out_shape", "message"),
    [
        ("i32", "u32", [1], "input must be f32, not i32"),
        ("f64", "u32", [1], "input must be f32, not f64"),
        ("f32", "i32", [1], "output must be u32, not i32"),
        ("f32", "u32", [2], r"output holds 1 element\(s\) \(e.g. u32\[1\]\), not u32\[2\]"),
    ],
)
def test_wrong_types_are_diagnosed(element, out_element, out_shape, message):
    module = kernel_module("argmax", {}, element, [4], out_element=out_element,
                           out_shape=out_shape)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
