"""transpose, compiled to wasm, against numpy.transpose: NHWC <-> NCHW and other permutations."""

from __future__ import annotations

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._modern_ops import NUMERIC
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel


def tensor(element: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(len(shape))
    return rng.integers(0, 120, np.prod(shape)).astype(DTYPES[element]).reshape(shape)


@pytest.mark.parametrize("element", NUMERIC)
def test_nhwc_to_nchw_and_back(element):
    x = tensor(element, (2, 5, 3, 4))
    to_nchw = compile_kernel("transpose", {}, element, [2, 5, 3, 4], out_shape=[2, 4, 5, 3])
    nchw = run_kernel(to_nchw, x)
    np.testing.assert_array_equal(nchw, x.transpose(0, 3, 1, 2))
    back = compile_kernel("transpose", {"perm": "0,2,3,1"}, element, [2, 4, 5, 3],
                          out_shape=[2, 5, 3, 4])
    np.testing.assert_array_equal(run_kernel(back, nchw), x)


@pytest.mark.parametrize(
    ("shape", "perm"),
    [((3, 7), "1,0"), ((2, 3, 4), "[2, 0, 1]"), ((1, 224, 224, 3), "0,3,1,2"),
     ((2, 1, 3, 1, 2), "4,3,2,1,0"), ((5,), "0"), ((2, 3, 4, 5), "0,1,2,3"),
     # staged rows of 6 pixels: one step of four, then two left over
     ((2, 3, 6, 3), "0,3,1,2")],
)
def test_any_permutation(shape, perm):
    axes = [int(a) for a in perm.strip("[]").split(",")]
    x = tensor("f32", shape)
    rune = compile_kernel("transpose", {"perm": perm}, "f32", list(shape),
                          out_shape=[shape[a] for a in axes])
    np.testing.assert_array_equal(run_kernel(rune, x), x.transpose(axes))


@pytest.mark.parametrize(
    ("perm", "shape", "out_shape", "message"),
    [
        ("0,3,1,2", [2, 3, 4], [2, 4, 3], "is not a permutation of the 3 axes"),
        ("0,1,1,2", [1, 2, 3, 4], [1, 2, 2, 3], "is not a permutation of the 4 axes"),
        ("0,3,1,2", [1, 2, 3, 4], [1, 2, 3, 4],
         r"gives f32\[1, 4, 2, 3\], not f32\[1, 2, 3, 4\]"),
        ("a,b", [2, 2], [2, 2], "comma-separated list of integers"),
    ],
)
def test_bad_permutations_are_diagnosed(perm, shape, out_shape, message):
    module = kernel_module("transpose", {"perm": perm}, "f32", shape, out_shape=out_shape)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
