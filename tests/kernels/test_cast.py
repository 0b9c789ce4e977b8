"""cast, compiled to wasm, against a NumPy model of Rust's `as`: float->int truncates toward
zero and saturates (NaN -> 0), int->int wraps, int->float and float->float round to nearest."""

from __future__ import annotations

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._modern_ops import INTEGER_RANGES, NUMERIC
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

N = 64
FLOAT_EDGES = [0.0, -0.0, 1.7, -1.7, 0.5, -0.5, 127.9, 128.0, -128.9, -129.0, 255.5, 256.0,
               65535.9, 65536.0, 2.0**31, -(2.0**31) - 1e4, 2.0**32, 2.0**63, -(2.0**63) * 1.5,
               2.0**64, 1e30, -1e30, np.inf, -np.inf, np.nan, 3.4e38]


def rust_as(values: np.ndarray, target: str) -> np.ndarray:
    """Rust's `x as T`, element by element, in exact Python arithmetic where it matters."""
    dtype = DTYPES[target]
    if target in ("f32", "f64") or values.dtype.kind in "iu":
        with np.errstate(over="ignore"):
            return values.astype(dtype)  # NumPy wraps ints and rounds to nearest, as `as` does
    low, high = INTEGER_RANGES[target]
    out = []
    for v in values.astype(np.float64):
        if np.isnan(v):
            out.append(0)
        elif np.isinf(v):
            out.append(high if v > 0 else low)
        else:
            out.append(min(max(int(np.trunc(v)), low), high))
    return np.array(out, dtype=dtype)


def sample(element: str, rng: np.random.Generator) -> np.ndarray:
    dtype = DTYPES[element]
    if element in ("f32", "f64"):
        with np.errstate(over="ignore"):
            edges = np.array(FLOAT_EDGES, dtype=np.float64).astype(dtype)
        random = (rng.standard_normal(N - len(edges)) * 10.0 ** rng.integers(0, 12, N - len(
            edges))).astype(dtype)
        return np.concatenate([edges, random])
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, N, dtype=dtype, endpoint=True)
    values[:5] = [info.min, info.max, 0, 1, info.max // 2 + 1]
    return values


@pytest.mark.parametrize("target", NUMERIC)
@pytest.mark.parametrize("source", NUMERIC)
def test_matches_rust_as(source, target):
    values = sample(source, np.random.default_rng(len(source) * 31 + len(target)))
    rune = compile_kernel("cast", {}, source, [N], out_element=target)
    got = run_kernel(rune, values).reshape(-1)
    expected = rust_as(values, target)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_float_to_int_edges_spelled_out():
    values = np.array([1.7, -1.7, 300.0, -300.0, np.nan, np.inf, -np.inf, -0.9], np.float32)
    rune = compile_kernel("cast", {}, "f32", [8], out_element="i8")
    np.testing.assert_array_equal(run_kernel(rune, values), [1, -1, 127, -128, 0, 127, -128, 0])
    rune = compile_kernel("cast", {}, "f32", [8], out_element="u8")
    np.testing.assert_array_equal(run_kernel(rune, values), [1, 0, 255, 0, 0, 255, 0, 0])


def test_int_to_int_wraps_and_extends_by_source_sign():
    rune = compile_kernel("cast", {}, "i16", [4], out_element="u8")
    np.testing.assert_array_equal(run_kernel(rune, np.array([-1, 256, 257, -32768], np.int16)),
                                  [255, 0, 1, 0])
    rune = compile_kernel("cast", {}, "i8", [2], out_element="u32")
    np.testing.assert_array_equal(run_kernel(rune, np.array([-1, 5], np.int8)), [2**32 - 1, 5])


def test_keeps_shape():
    values = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    got = run_kernel(compile_kernel("cast", {}, "i32", [2, 3, 4], out_element="f64"), values)
    assert got.shape == (2, 3, 4) and got.dtype == np.float64
    np.testing.assert_array_equal(got, values)


@pytest.mark.parametrize(
    ("element", "out", "message"),
    [
        ("f32", {"out_shape": [3]}, r"output must be f32\[4\], not f32\[3\]"),
        ("f32", {"out_element": "utf8"}, "output must be one of u8, .*, not utf8"),
    ],
)
def test_bad_signatures_are_diagnosed(element, out, message):
    module = kernel_module("cast", {}, element, [4], **out)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
