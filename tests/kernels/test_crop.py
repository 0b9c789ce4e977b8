"""crop, compiled to wasm, against NumPy slicing (tf.image.crop_to_bounding_box)."""

from __future__ import annotations

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._modern_ops import NUMERIC
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel


def image(element: str, shape: tuple[int, ...]) -> np.ndarray:
    return (np.arange(np.prod(shape)) % 251 - 100).astype(DTYPES[element]).reshape(shape)


def crop_args(top: int, left: int, rows: int, cols: int) -> dict:
    return {"offset_height": top, "offset_width": left, "target_height": rows,
            "target_width": cols}


CASES = [((1, 8, 6, 3), (2, 1, 4, 3)), ((2, 5, 5, 1), (0, 0, 5, 5)), ((1, 7, 9, 2), (6, 8, 1, 1)),
         ((3, 4, 10, 4), (1, 3, 2, 7)), ((6, 6, 3), (1, 2, 4, 3)), ((1, 1, 1, 1), (0, 0, 1, 1))]


@pytest.mark.parametrize(("shape", "window"), CASES)
@pytest.mark.parametrize("element", NUMERIC)
def test_matches_slicing(element, shape, window):
    top, left, rows, cols = window
    x = image(element, shape)
    batch = shape[:-3]
    rune = compile_kernel("crop", crop_args(*window), element, list(shape),
                          out_shape=[*batch, rows, cols, shape[-1]])
    expected = x[..., top:top + rows, left:left + cols, :]
    np.testing.assert_array_equal(run_kernel(rune, x), expected)


def test_defaults_take_the_top_left_corner():
    x = image("f32", (1, 5, 5, 2))
    rune = compile_kernel("crop", {"target_height": 2, "target_width": 3}, "f32", [1, 5, 5, 2],
                          out_shape=[1, 2, 3, 2])
    np.testing.assert_array_equal(run_kernel(rune, x), x[:, :2, :3])


@pytest.mark.parametrize(
    ("args", "shape", "out_shape", "message"),
    [
        (crop_args(3, 0, 2, 2), [1, 4, 4, 1], [1, 2, 2, 1],
         r"crop rows 3..4 \(offset_height 3 \+ target_height 2\) fall outside the image's 4 rows"),
        (crop_args(0, 2, 2, 3), [1, 4, 4, 1], [1, 2, 3, 1],
         "crop columns 2..4 .* outside the image's 4 columns"),
        (crop_args(0, 0, 2, 2), [1, 4, 4, 1], [1, 2, 3, 1],
         r"output must be f32\[1, 2, 2, 1\], not f32\[1, 2, 3, 1\]"),
        (crop_args(0, 0, 2, 2), [4, 4], [2, 2], r"NHWC or HWC image, not f32\[4, 4\]"),
        ({"target_height": 2}, [1, 4, 4, 1], [1, 2, 2, 1], "needs argument `target_width`"),
        ({**crop_args(0, 0, 2, 2), "offset_height": -1}, [1, 4, 4, 1], [1, 2, 2, 1],
         "`offset_height` must be >= 0"),
    ],
)
def test_bad_windows_are_diagnosed_at_compile_time(args, shape, out_shape, message):
    module = kernel_module("crop", args, "f32", shape, out_shape=out_shape)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
