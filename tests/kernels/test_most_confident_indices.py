"""most_confident_indices, compiled to wasm, against Python's stable sort."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import DTYPES, compile_kernel, kernel_module, run_kernel

ELEMENTS = ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64"]
# (input shape, count): 1s around the axis are dropped, as the original did.
CASES = [((7,), 3), ((1, 12), 12), ((1, 5, 1), 1), ((1, 1, 40, 1), 6)]


def reference(values: np.ndarray, count: int) -> list[int]:
    """Stable sort, largest first; NaN (where the original panicked) ranks below everything."""
    flat = [v.item() for v in values.reshape(-1)]

    def key(i: int) -> tuple:
        v = flat[i]
        return (1, 0) if isinstance(v, float) and math.isnan(v) else (0, -v)

    return sorted(range(len(flat)), key=key)[:count]  # sorted() is stable: ties keep order


def random_values(rng: np.random.Generator, element: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype = DTYPES[element]
    if element.startswith("f"):
        pool = np.array([-np.inf, -2.5, -0.0, 0.0, 1.0, 3.25, np.inf, np.nan], dtype=dtype)
        values = rng.standard_normal(shape).astype(dtype)
        mask = rng.random(shape) < 0.5  # half the elements from a small pool: ties, NaN
        values[mask] = rng.choice(pool, size=int(mask.sum()))
        return values
    info = np.iinfo(dtype)
    if rng.random() < 0.5:  # a narrow range: many ties
        low = max(int(info.min), -3)
        return rng.integers(low, low + 4, size=shape).astype(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.fixture(scope="module", params=[(e, *c) for e in ELEMENTS for c in CASES], ids=str)
def compiled(request):
    element, shape, count = request.param
    rune = compile_kernel("most_confident_indices", {"count": count}, element, shape,
                          out_element="u32", out_shape=[count])
    return element, shape, count, rune


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_inputs(compiled, seed):
    element, shape, count, rune = compiled
    values = random_values(np.random.default_rng(seed), element, shape)
    got = run_kernel(rune, values)
    assert got.dtype == np.uint32 and got.shape == (count,)
    assert got.tolist() == reference(values, count)


@pytest.mark.parametrize(
    ("values", "count", "expected"),
    [
        ([0.0, 0.5, 10.0, 3.5, -200.0], 3, [2, 3, 1]),     # the original's own unit test
        ([4.0, 4.0, 4.0, 4.0, 4.0], 5, [0, 1, 2, 3, 4]),   # all equal: index order
        ([-5.0, -1.0, -3.0, -1.0, -9.0], 5, [1, 3, 2, 0, 4]),
        ([-0.0, 0.0, -0.0, 1.0, -1.0], 4, [3, 0, 1, 2]),   # -0.0 ties with 0.0
        ([np.nan, 1.0, np.nan, 2.0, -np.inf], 5, [3, 1, 4, 0, 2]),
        ([np.nan] * 5, 2, [0, 1]),
    ],
)
def test_edge_cases(values, count, expected):
    rune = compile_kernel("most_confident_indices", {"count": count}, "f32", [len(values)],
                          out_element="u32", out_shape=[count])
    values = np.array(values, dtype=np.float32)
    assert run_kernel(rune, values).tolist() == expected == reference(values, count)


@pytest.mark.parametrize(
    ("element", "shape", "values", "expected"),
    [
        ("f32", [1, 4], [0.02, 0.93, 0.04, 0.01], 1),                  # gesture-ring
        ("i8", [1, 6], [-128, -100, 90, 90, -3, 127], 5),              # microspeech-*
        ("i8", [1, 6], [-128, -100, 90, 91, -3, -128], 3),
        ("u8", [1, 1, 1, 3], [3, 250, 2], 1),                          # person_detection
    ],
)
def test_peer_signatures(element, shape, values, expected):
    rune = compile_kernel("most_confident_indices", {"count": 1}, element, shape,
                          out_element="u32", out_shape=[1])
    got = run_kernel(rune, np.array(values, dtype=DTYPES[element]).reshape(shape))
    assert got.tolist() == [expected]


def test_default_count_is_one():
    rune = compile_kernel("most_confident_indices", {}, "i32", [3], out_element="u32",
                          out_shape=[1])
    assert run_kernel(rune, np.array([1, 9, 9], dtype=np.int32)).tolist() == [1]


@pytest.mark.parametrize(
    ("args", "shape", "out", "message"),
    [
        ({"count": 1}, [1, 2, 3], ("u32", [1]), r"works on 1-D inputs .* not f32\[1, 2, 3\]"),
        ({"count": 1}, [2, 1, 3], ("u32", [1]), r"works on 1-D inputs"),
        ({"count": 5}, [1, 4], ("u32", [5]), "cannot take the top 5 values of a 4-item input"),
        ({"count": 2}, [4], ("u32", [1]), r"output holds 2 element\(s\)"),
        ({"count": 1}, [4], ("i32", [1]), "output must be u32, not i32"),
        ({"count": 0}, [4], ("u32", [1]), "`count` must be >= 1"),
    ],
)
def test_bad_signatures_are_diagnosed(args, shape, out, message):
    module = kernel_module("most_confident_indices", args, "f32", shape, out_element=out[0],
                           out_shape=out[1])
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
