"""image-normalization, compiled to wasm, against NumPy f32 arithmetic, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

INTEGERS = ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64"]
SHAPES = [(1, 4, 5, 3), (2, 3, 2, 3)]


def to_f32(value: int) -> np.float32:
    """Rust's `as f32` for an integer: one rounding to nearest, ties to even (going through
    f64 first would round twice for some 64-bit values)."""
    magnitude, sign = abs(value), -1 if value < 0 else 1
    shift = max(magnitude.bit_length() - 24, 0)
    if shift:
        quotient, remainder = divmod(magnitude, 1 << shift)
        half = 1 << (shift - 1)
        if remainder > half or (remainder == half and quotient % 2 == 1):
            quotient += 1
        magnitude = quotient << shift
    return np.float32(sign * magnitude)  # exact: at most 24 significant bits


def reference(values: np.ndarray) -> np.ndarray:
    info = np.iinfo(values.dtype)
    low, high = to_f32(int(info.min)), to_f32(int(info.max))
    converted = np.array([to_f32(int(v)) for v in values.reshape(-1)], dtype=np.float32)
    return ((converted - low) / (high - low)).reshape(values.shape)


@pytest.fixture(scope="module", params=[(e, s) for e in INTEGERS for s in SHAPES], ids=str)
def compiled(request):
    element, shape = request.param
    rune = compile_kernel("image-normalization", {}, element, shape, out_element="f32")
    return element, shape, rune


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_pixels(compiled, seed):
    element, shape, rune = compiled
    info = np.iinfo(DTYPES[element])
    values = np.random.default_rng(seed).integers(info.min, info.max, size=shape,
                                                  dtype=DTYPES[element], endpoint=True)
    got = run_kernel(rune, values)
    assert got.dtype == np.float32 and got.shape == shape
    np.testing.assert_array_equal(got.view(np.uint32), reference(values).view(np.uint32))


def test_extremes_and_rounding_boundaries(compiled):
    element, shape, rune = compiled
    dtype = DTYPES[element]
    info = np.iinfo(dtype)
    special = [info.min, info.max, 0, 1, info.max - 1, info.min + 1, info.max // 2]
    if element == "u64":
        special += [2**63 + 2**39 + 1, 2**63 + 2**39, 2**24 + 1]  # the first rounds up once
    if element == "i64":
        special += [-(2**62) - 2**38 - 1, 2**53 + 1]
    values = np.zeros(int(np.prod(shape)), dtype=dtype)
    values[: len(special)] = special
    values = values.reshape(shape)
    got = run_kernel(rune, values)
    expected = reference(values)
    np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))
    flat = got.reshape(-1)
    assert flat[0] == 0.0 and flat[1] == 1.0


def test_the_originals_unit_test_and_peer_signature():
    """[0, 127, 255] -> [0, 127/255, 1]; and style_transfer's u8[1, 384, 384, 3] -> f32."""
    rune = compile_kernel("image-normalization", {}, "u8", [1, 1, 1, 3], out_element="f32")
    got = run_kernel(rune, np.array([0, 127, 255], dtype=np.uint8).reshape(1, 1, 1, 3))
    np.testing.assert_array_equal(got.reshape(-1), np.array([0.0, 127 / 255, 1.0], np.float32))
    shape = (1, 384, 384, 3)
    big = compile_kernel("image-normalization", {}, "u8", shape, out_element="f32")
    pixels = np.random.default_rng(3).integers(0, 255, size=shape, dtype=np.uint8,
                                               endpoint=True)
    expected = pixels.astype(np.float32) / np.float32(255.0)
    np.testing.assert_array_equal(run_kernel(big, pixels), expected)


@pytest.mark.parametrize(
    ("element", "shape", "out_element", "message"),
    [
        ("f32", [1, 2, 2, 3], "f32", "input must be u8 or i8 .* or i64, not f32"),
        ("u8", [1, 2, 2, 1], "f32", r"\[frames, rows, columns, 3\] \(3 channels\)"),
        ("u8", [2, 2, 3], "f32", r"\[frames, rows, columns, 3\]"),
        ("u8", [1, 2, 2, 3], "u8", r"output must be f32\[1, 2, 2, 3\], not u8\[1, 2, 2, 3\]"),
    ],
)
def test_wrong_types_are_diagnosed(element, shape, out_element, message):
    module = kernel_module("image-normalization", {}, element, shape, out_element=out_element)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
