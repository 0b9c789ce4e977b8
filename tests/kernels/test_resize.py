"""resize, compiled to wasm, against a NumPy reference of tf.image.resize's defaults:
half-pixel centres, no align_corners, no antialiasing; bilinear in f32, nearest by floor."""

from __future__ import annotations

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._modern_ops import NUMERIC
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

F = np.float32


def source_positions(in_size: int, out_size: int) -> np.ndarray:
    """TensorFlow's half-pixel scaler for bilinear: (i + 0.5) * (in / out) - 0.5, all in f32."""
    return (np.arange(out_size, dtype=F) + F(0.5)) * (F(in_size) / F(out_size)) - F(0.5)


def bilinear_ref(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TensorFlow's ResizeBilinear (half_pixel_centers=True) on an NHWC array."""
    n, in_h, in_w, c = image.shape
    ys, xs = source_positions(in_h, out_h), source_positions(in_w, out_w)
    y0 = np.maximum(np.floor(ys), 0).astype(int)
    y1 = np.minimum(np.ceil(ys), in_h - 1).astype(int)
    x0 = np.maximum(np.floor(xs), 0).astype(int)
    x1 = np.minimum(np.ceil(xs), in_w - 1).astype(int)
    dy = (ys - np.floor(ys)).astype(F)[None, :, None, None]
    dx = (xs - np.floor(xs)).astype(F)[None, None, :, None]
    pixels = image.astype(F)
    top_left, top_right = pixels[:, y0][:, :, x0], pixels[:, y0][:, :, x1]
    bottom_left, bottom_right = pixels[:, y1][:, :, x0], pixels[:, y1][:, :, x1]
    top = top_left + (top_right - top_left) * dx
    bottom = bottom_left + (bottom_right - bottom_left) * dx
    return (top + (bottom - top) * dy).astype(F)


def nearest_ref(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TensorFlow's ResizeNearestNeighbor (half_pixel_centers=True): floor((i + 0.5) * scale)."""
    _, in_h, in_w, _ = image.shape

    def taps(in_size: int, out_size: int) -> np.ndarray:
        position = (np.arange(out_size, dtype=F) + F(0.5)) * (F(in_size) / F(out_size))
        return np.clip(np.floor(position), 0, in_size - 1).astype(int)

    return image[:, taps(in_h, out_h)][:, :, taps(in_w, out_w)]


def image(element: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dtype = DTYPES[element]
    if element in ("f32", "f64"):
        return rng.uniform(-100, 100, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -(2**20)), min(info.max, 2**20), shape,
                        endpoint=True).astype(dtype)


SIZES = [((1, 4, 4, 1), (7, 9)), ((2, 9, 7, 3), (4, 3)), ((1, 5, 6, 2), (5, 6)),
         ((1, 1, 8, 1), (3, 2)), ((1, 3, 3, 4), (1, 1)), ((1, 13, 17, 3), (32, 24))]


@pytest.mark.parametrize(("shape", "size"), SIZES)
@pytest.mark.parametrize("element", ["u8", "f32"])
def test_bilinear_matches_tensorflow_formula(element, shape, size):
    x = image(element, shape, sum(shape))
    out = (shape[0], *size, shape[3])
    rune = compile_kernel("resize", {}, element, list(shape), out_element="f32",
                          out_shape=list(out))
    np.testing.assert_array_equal(run_kernel(rune, x), bilinear_ref(x, *size))


@pytest.mark.parametrize(("shape", "size"), SIZES)
@pytest.mark.parametrize("element", ["u8", "i16", "f32"])
def test_nearest_matches_tensorflow_formula(element, shape, size):
    x = image(element, shape, sum(shape) + 1)
    out = (shape[0], *size, shape[3])
    rune = compile_kernel("resize", {"method": "nearest"}, element, list(shape),
                          out_shape=list(out))
    np.testing.assert_array_equal(run_kernel(rune, x), nearest_ref(x, *size))


@pytest.mark.parametrize("element", NUMERIC)
def test_every_element_type(element):
    x = image(element, (1, 5, 3, 2), 11)
    bilinear = compile_kernel("resize", {}, element, [1, 5, 3, 2], out_element="f32",
                              out_shape=[1, 3, 4, 2])
    np.testing.assert_array_equal(run_kernel(bilinear, x), bilinear_ref(x, 3, 4))
    nearest = compile_kernel("resize", {"method": "nearest"}, element, [1, 5, 3, 2],
                             out_shape=[1, 3, 4, 2])
    np.testing.assert_array_equal(run_kernel(nearest, x), nearest_ref(x, 3, 4))


def test_known_tensorflow_values():
    """tf.image.resize([[0, 1], [2, 3]], [4, 4]) with its defaults, bilinear and nearest."""
    x = np.array([0, 1, 2, 3], np.float32).reshape(1, 2, 2, 1)
    bilinear = compile_kernel("resize", {}, "f32", [1, 2, 2, 1], out_shape=[1, 4, 4, 1])
    np.testing.assert_array_equal(run_kernel(bilinear, x)[0, :, :, 0], [
        [0.0, 0.25, 0.75, 1.0], [0.5, 0.75, 1.25, 1.5],
        [1.5, 1.75, 2.25, 2.5], [2.0, 2.25, 2.75, 3.0]])
    nearest = compile_kernel("resize", {"method": "nearest"}, "f32", [1, 2, 2, 1],
                             out_shape=[1, 4, 4, 1])
    np.testing.assert_array_equal(run_kernel(nearest, x)[0, :, :, 0], [
        [0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])


def test_same_size_is_a_copy_and_hwc_works():
    x = image("f32", (6, 5, 3), 2)
    rune = compile_kernel("resize", {}, "f32", [6, 5, 3], out_shape=[6, 5, 3])
    np.testing.assert_array_equal(run_kernel(rune, x), x)
    rune = compile_kernel("resize", {"method": "nearest"}, "f32", [6, 5, 3], out_shape=[3, 10, 3])
    np.testing.assert_array_equal(run_kernel(rune, x), nearest_ref(x[None], 3, 10)[0])


@pytest.mark.parametrize(
    ("args", "element", "shape", "out", "message"),
    [
        ({}, "u8", [1, 4, 4, 3], {"out_shape": [1, 2, 2, 3]}, "bilinear resize of u8 gives f32"),
        ({"method": "nearest"}, "u8", [1, 4, 4, 3], {"out_element": "f32",
                                                    "out_shape": [1, 2, 2, 3]},
         "nearest resize of u8 gives u8, not f32"),
        ({}, "f32", [4, 4], {"out_shape": [2, 2]}, r"NHWC or HWC image, not f32\[4, 4\]"),
        ({}, "f32", [1, 4, 4, 3], {"out_shape": [1, 2, 2, 1]}, "same rank, batch and channels"),
        ({"method": "bicubic"}, "f32", [1, 4, 4, 3], {"out_shape": [1, 2, 2, 3]},
         "must be one of bilinear, nearest"),
    ],
)
def test_bad_signatures_are_diagnosed(args, element, shape, out, message):
    module = kernel_module("resize", args, element, shape, **out)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
