"""modulo, compiled to wasm, against NumPy's fmod (C remainder: the sign follows x)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

N = 64
FLOAT_MODULI = [360.0, 1.0, -7.5, 0.1, 6.2831855, 1e-3]


@pytest.fixture(scope="module", params=FLOAT_MODULI)
def f32_rune(request):
    return request.param, compile_kernel("modulo", {"modulus": request.param}, "f32", [N])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_f32_matches_fmod_bit_for_bit(f32_rune, data):
    modulus, rune = f32_rune
    bound = float(np.float32(abs(modulus) * 2.0**28))
    values = np.array(
        data.draw(st.lists(st.floats(-bound, bound, width=32), min_size=N, max_size=N)),
        dtype=np.float32,
    )
    expected = np.fmod(values, np.float32(modulus))
    np.testing.assert_array_equal(run_kernel(rune, values).reshape(-1).view(np.uint32),
                                  expected.view(np.uint32))


def test_f32_edge_cases():
    rune = compile_kernel("modulo", {"modulus": 360.0}, "f32", [8])
    values = np.array([0.0, -0.0, 360.0, -360.0, 719.99994, 1e-30, -1e-30, 359.99997],
                      dtype=np.float32)
    got = run_kernel(rune, values).reshape(-1)
    np.testing.assert_array_equal(got, np.fmod(values, np.float32(360.0)))
    assert np.signbit(got[1]) and not np.signbit(got[0])  # -0.0 keeps its sign, as fmod does


def test_f32_non_finite_inputs_give_nan():
    rune = compile_kernel("modulo", {"modulus": 2.0}, "f32", [3])
    got = run_kernel(rune, np.array([np.inf, -np.inf, np.nan], dtype=np.float32))
    assert np.isnan(got).all()


@pytest.mark.parametrize("element", ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"])
@pytest.mark.parametrize("modulus", [7, 3, 100])
def test_integers_match_c_remainder(element, modulus):
    dtype = DTYPES[element]
    info = np.iinfo(dtype)
    rng = np.random.default_rng(modulus)
    values = rng.integers(info.min, info.max, size=N, dtype=dtype, endpoint=True)
    values[:4] = [info.min, info.max, 0, modulus]
    rune = compile_kernel("modulo", {"modulus": float(modulus)}, element, [N])
    np.testing.assert_array_equal(run_kernel(rune, values).reshape(-1),
                                  np.fmod(values, dtype(modulus)))


def test_f64_and_shapes():
    values = np.linspace(-1000, 1000, 24).reshape(2, 3, 4)
    rune = compile_kernel("modulo", {"modulus": 7.25}, "f64", [2, 3, 4])
    got = run_kernel(rune, values)
    assert got.shape == (2, 3, 4)
    np.testing.assert_allclose(got, np.fmod(values, 7.25), rtol=0, atol=1e-12)


@pytest.mark.parametrize("opt_level", ["0", "s"])
def test_opt_levels_agree(opt_level):
    values = np.linspace(-5000, 5000, N, dtype=np.float32)
    reference = run_kernel(compile_kernel("modulo", {"modulus": 360.0}, "f32", [N]), values)
    other = compile_kernel("modulo", {"modulus": 360.0}, "f32", [N], opt_level=opt_level)
    np.testing.assert_array_equal(run_kernel(other, values), reference)


@pytest.mark.parametrize(
    ("args", "element", "message"),
    [
        ({"modulus": 0.0}, "f32", "modulo by 0"),
        ({"modulus": 2.5}, "i32", "whole-number `modulus`"),
        ({"modulo": 2.0}, "f32", "unknown argument `modulo`"),
    ],
)
def test_bad_arguments_are_diagnosed(args, element, message):
    module = kernel_module("modulo", args, element, [4])
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())


def test_output_type_must_match_input():
    module = kernel_module("modulo", {"modulus": 2.0}, "f32", [4], out_element="i32")
    with pytest.raises(DiagnosticError, match=r"output must be f32\[4\], not i32\[4\]"):
        run_passes(module, CompileOptions())
