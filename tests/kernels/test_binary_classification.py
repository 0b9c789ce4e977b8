"""binary_classification, compiled to wasm, against Python's own lexicographic list comparison
(the same rule as the original's `&[f32] > &[f32; 1]`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, kernel_module, run_kernel

CASES = [((1,), 0.5), ((3,), 0.5), ((1, 4), 0.1), ((2, 2), -2.0)]


def reference(values: np.ndarray, threshold: float) -> int:
    """Python compares lists element by element, then by length, and NaN compares false."""
    return int([float(v) for v in values.reshape(-1)] > [float(np.float32(threshold))])


@pytest.fixture(scope="module", params=CASES, ids=str)
def compiled(request):
    shape, threshold = request.param
    rune = compile_kernel("binary_classification", {"threshold": threshold}, "f32", shape,
                          out_element="u32", out_shape=[1])
    return shape, threshold, rune


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_random_inputs(compiled, data):
    shape, threshold, rune = compiled
    size = int(np.prod(shape))
    t = float(np.float32(threshold))
    near = st.sampled_from([t, np.nextafter(np.float32(t), np.float32(-np.inf)),
                            np.nextafter(np.float32(t), np.float32(np.inf)), np.nan, -np.inf])
    values = np.array(data.draw(st.lists(st.one_of(near, st.floats(-10, 10, width=32)),
                                         min_size=size, max_size=size)),
                      dtype=np.float32).reshape(shape)
    got = run_kernel(rune, values)
    assert got.dtype == np.uint32 and got.shape == (1,)
    assert got[0] == reference(values, threshold)


@pytest.fixture(scope="module")
def default_runes():
    """Default threshold 0.5, one-element and three-element inputs."""
    return {n: compile_kernel("binary_classification", {}, "f32", [n], out_element="u32",
                              out_shape=[1]) for n in (1, 3)}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.7], 1),                   # the original's own unit test
        ([0.3], 0),
        ([0.5], 0),                   # equal, same length: not greater
        ([0.5, 0.0, 0.0], 1),         # equal first element, longer slice: greater
        ([0.5, -9.0, np.nan], 1),
        ([0.4999, 9.0, 9.0], 0),      # only the first element is compared
        ([0.6, -9.0, -9.0], 1),
        ([np.nan], 0),
        ([np.nan, 1.0, 1.0], 0),
        ([np.inf], 1),
    ],
)
def test_edge_cases(default_runes, values, expected):
    got = run_kernel(default_runes[len(values)], np.array(values, dtype=np.float32))
    assert got[0] == expected == reference(np.array(values, dtype=np.float32), 0.5)


@pytest.mark.parametrize(
    ("args", "element", "out_element", "message"),
    [
        ({}, "u8", "u32", "input must be f32, not u8"),
        ({}, "f32", "f32", "output must be u32, not f32"),
        ({"threshold": "high"}, "f32", "u32", "`threshold` expects float"),
        ({"cutoff": 0.2}, "f32", "u32", "unknown argument `cutoff`"),
    ],
)
def test_bad_signatures_are_diagnosed(args, element, out_element, message):
    module = kernel_module("binary_classification", args, element, [1],
                           out_element=out_element, out_shape=[1])
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
