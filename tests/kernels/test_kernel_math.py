"""exp and log written in IR, compiled to wasm, measured in ulps against float64 references."""

from __future__ import annotations

import numpy as np
import pytest
from rune.ir.kernel_builder import KernelBuilder
from rune.kernels import LIBRARY
from rune.kernels.base import ElementwiseProcBlock

from tests.kernels.harness import compile_kernel, run_kernel


class _Apply(ElementwiseProcBlock):
    """A test-only kernel applying one builder function; registered for this module only."""

    summary = "test"

    def __init__(self, name: str, function: str) -> None:
        self.name, self.function = name, function

    def scalar(self, builder: KernelBuilder, value, args):
        return getattr(builder, self.function)(value)


@pytest.fixture(scope="module", params=["exp", "log"])
def compiled(request):
    name = f"test_{request.param}"
    LIBRARY[name] = _Apply(name, request.param)
    try:
        yield request.param, compile_kernel(name, {}, "f32", [N])
    finally:
        del LIBRARY[name]


N = 4096


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Distance in units of the last place of the f32 nearest the exact value."""
    nearest = exact.astype(np.float32)
    spacing = np.spacing(np.abs(nearest)).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / spacing


def test_within_two_ulp_over_the_normal_range(compiled):
    function, rune = compiled
    rng = np.random.default_rng(7)
    if function == "exp":
        x = rng.uniform(-87.0, 88.0, N).astype(np.float32)
        exact = np.exp(x.astype(np.float64))
    else:
        x = np.exp(rng.uniform(-80.0, 80.0, N)).astype(np.float32)
        exact = np.log(x.astype(np.float64))
    got = run_kernel(rune, x).reshape(-1)
    assert _ulps(got, exact).max() <= 2.0


def test_special_values(compiled):
    function, rune = compiled
    x = np.zeros(N, dtype=np.float32)
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 100.0, -110.0, -95.0]
    x[: len(specials)] = specials
    got = run_kernel(rune, x).reshape(-1)[: len(specials)]
    with np.errstate(all="ignore"):
        expected = (np.exp if function == "exp" else np.log)(np.array(specials, dtype=np.float32))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(got[~finite & ~np.isnan(expected)],
                                  expected[~finite & ~np.isnan(expected)])
    np.testing.assert_allclose(got[finite], expected[finite], rtol=3e-7, atol=0)
