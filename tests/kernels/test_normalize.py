"""normalize, compiled to wasm, against the original's min/max fold written in plain Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

INTEGERS = ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64"]
FLOATS = ["f32", "f64"]
SHAPES = [(5,), (1, 128, 3, 1), (2, 3, 4)]


def reference(values: np.ndarray) -> np.ndarray:
    """Bounds start at element 0 and move on a strict `<` (a later NaN never becomes one);
    nothing changes when min == max. Integers divide exactly (no overflow)."""
    flat = values.reshape(-1)
    low = high = flat[0]
    for v in flat[1:]:
        low = v if v < low else low
        high = v if high < v else high
    if not low != high:
        return values.copy()
    if values.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            return (values - low) / (high - low)
    span = int(high) - int(low)
    fitted = [(int(v) - int(low)) // span for v in flat]
    return np.array(fitted, dtype=values.dtype).reshape(values.shape)


def random_values(rng: np.random.Generator, element: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype = DTYPES[element]
    if element in FLOATS:
        scale = 10.0 ** rng.integers(-3, 6)
        return (rng.standard_normal(shape) * scale).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.fixture(scope="module", params=[(e, s) for e in INTEGERS + FLOATS for s in SHAPES],
                ids=str)
def compiled(request):
    element, shape = request.param
    return element, shape, compile_kernel("normalize", {}, element, shape)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_inputs(compiled, seed):
    element, shape, rune = compiled
    values = random_values(np.random.default_rng(seed), element, shape)
    got = run_kernel(rune, values)
    assert got.dtype == values.dtype and got.shape == shape
    np.testing.assert_array_equal(got, reference(values))


def test_integer_extremes_do_not_overflow(compiled):
    """The original's `max - min` overflows here (wrapping, or a division panic); ours is the
    exact quotient: 1 at the maximum, 0 elsewhere."""
    element, shape, rune = compiled
    if element in FLOATS:
        return
    info = np.iinfo(DTYPES[element])
    values = np.zeros(shape, dtype=DTYPES[element]).reshape(-1)
    values[:3] = [info.min, info.max, 0]
    values = values.reshape(shape)
    got = run_kernel(rune, values)
    np.testing.assert_array_equal(got, reference(values))
    assert got.reshape(-1)[1] == 1 and (np.delete(got.reshape(-1), 1) == 0).all()


@pytest.fixture(scope="module")
def f32_five():
    return compile_kernel("normalize", {}, "f32", [5])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.0, 1.0, 2.0, 1.5, 0.5], [0.0, 0.5, 1.0, 0.75, 0.25]),   # the original's own test
        ([3.0, 3.0, 3.0, 3.0, 3.0], [3.0] * 5),                    # min == max: unchanged
        ([-2.0, -4.0, -6.0, -8.0, -10.0], [1.0, 0.75, 0.5, 0.25, 0.0]),
        # A NaN after the first element is never a bound, and stays NaN.
        ([0.0, np.nan, 4.0, 2.0, 1.0], [0.0, np.nan, 1.0, 0.5, 0.25]),
        # A NaN first element makes both bounds NaN, and NaN != NaN: everything is NaN.
        ([np.nan, 1.0, 2.0, 3.0, 4.0], [np.nan] * 5),
        ([np.nan] * 5, [np.nan] * 5),
        # Infinite bounds: inf / inf and (inf - inf) are NaN, finite ones divide to 0.
        ([-np.inf, 0.0, 1.0, 2.0, 3.0], [np.nan, np.nan, np.nan, np.nan, np.nan]),
        ([0.0, 1.0, np.inf, 2.0, 3.0], [0.0, 0.0, np.nan, 0.0, 0.0]),
    ],
)
def test_edge_cases(f32_five, values, expected):
    values = np.array(values, dtype=np.float32)
    got = run_kernel(f32_five, values)
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float32))
    np.testing.assert_array_equal(got, reference(values))


def test_integer_constant_input_is_unchanged():
    rune = compile_kernel("normalize", {}, "i16", [4])
    values = np.array([-7, -7, -7, -7], dtype=np.int16)
    np.testing.assert_array_equal(run_kernel(rune, values), values)


@pytest.mark.parametrize(
    ("element", "out_element", "out_shape", "message"),
    [
        ("f32", "f64", [4], r"output must be f32\[4\], not f64\[4\]"),
        ("u8", "u8", [2, 2], r"output must be u8\[4\], not u8\[2, 2\]"),
    ],
)
def test_wrong_types_are_diagnosed(element, out_element, out_shape, message):
    module = kernel_module("normalize", {}, element, [4], out_element=out_element,
                           out_shape=out_shape)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())


@pytest.mark.parametrize(
    "values",
    [
        [0.0, -0.0, 1.0, 2.0, 0.5],        # min is +0 (first zero), so -0 - +0 gives -0
        [-0.0, 0.0, 1.0, 2.0, 0.5],        # min is -0, so +0 - -0 gives +0
        [3.0, 1.0, -0.0, 0.0, 2.0],        # the first zero found later is the bound
        [-1.0, -2.0, 0.0, -0.0, -3.0],     # max is +0 (first zero)
        [-1.0, -0.0, np.nan, 0.0, -3.0],   # max is -0; the NaN is skipped
    ],
)
def test_zero_bounds_keep_the_first_zero_bit_for_bit(f32_five, values):
    """The vectorised bounds must agree with the fold on the sign of a zero bound, which shows
    in the sign of zero results."""
    values = np.array(values, dtype=np.float32)
    got = run_kernel(f32_five, values)
    np.testing.assert_array_equal(got.view(np.uint32), reference(values).view(np.uint32))


@pytest.mark.parametrize("element", FLOATS)
@pytest.mark.parametrize("seed", range(6))
def test_any_bit_pattern_matches_the_fold(element, seed):
    """The vectorised scan compares integer order keys of the floats' bits: random bit patterns
    (subnormals, both zeros, infinities, NaNs, every exponent) give the fold's bounds."""
    shape = (1, 128, 3, 1)
    rune = compile_kernel("normalize", {}, element, shape)
    rng = np.random.default_rng(seed)
    bits = np.dtype(DTYPES[element]).itemsize * 8
    raw = rng.integers(0, 2**bits, size=shape, dtype=np.uint64 if bits == 64 else np.uint32,
                       endpoint=False)
    values = raw.view(DTYPES[element])
    if seed % 2:  # no NaN or inf, so the bounds are finite and the results are not all NaN
        values = np.where(np.isfinite(values), values, DTYPES[element](1.5))
    np.testing.assert_array_equal(run_kernel(rune, values), reference(values))
