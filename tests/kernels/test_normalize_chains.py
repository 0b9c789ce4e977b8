"""normalize fused after cast/affine/standardize chains: the bounds come from the integers'
bounds pushed through the chain (when every step is non-decreasing) or from the float scan
(otherwise); either way the fused rune must give the bits of the same pipeline compiled without
fuse-elementwise (normalize then scans the stored floats)."""

from __future__ import annotations

import numpy as np
import pytest
from rune.passes.registry import default_pipeline
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  x0:
    capability: RAW
    outputs: [{{type: {source}, dimensions: [1, {n}]}}]
  to_float:
    proc-block: cast
    inputs: [x0]
    outputs: [{{type: f32, dimensions: [1, {n}]}}]
  unit:
    proc-block: affine
    inputs: [to_float]
    outputs: [{{type: f32, dimensions: [1, {n}]}}]
    args: {{scale: {scale}, offset: {offset}}}
  standard:
    proc-block: standardize
    inputs: [unit]
    outputs: [{{type: f32, dimensions: [1, {n}]}}]
    args: {{mean: {mean}, std: {std}}}
  scaled:
    proc-block: normalize
    inputs: [standard]
    outputs: [{{type: f32, dimensions: [1, {n}]}}]
  serial:
    out: serial
    inputs: [scaled]
"""


def _runes(tmp_path, fold: bool = True, std: float = 0.3, **fields) -> tuple[Rune, Rune]:
    path = tmp_path / "Runefile.yml"
    path.write_text(RUNEFILE.format(std=std, **fields))
    fused = default_pipeline("2") if fold else default_pipeline("2").replace("fold-affine,", "")
    unfused = fused.replace("fuse-elementwise,", "")
    return tuple(Rune.load(compile_runefile(path, "rune", CompileOptions(opt_level="2",
                                                                         passes=passes)))
                 for passes in (fused, unfused))


def _both(runes: tuple[Rune, Rune], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return tuple(r.run({"x0": x})[0].tensors[0].data for r in runes)


RNG = np.random.default_rng(7)
CASES = [
    # (source, scale, offset, mean, input)
    ("i16", 0.000030517578, 0.0, 0.01, RNG.integers(-32768, 32768, (1, 1000), dtype=np.int16)),
    # Every sample equal: min == max, the values pass through unchanged.
    ("i16", 0.5, 0.0, 0.0, np.full((1, 1000), -7, dtype=np.int16)),
    # Zero bounds: the low bound is exactly +0 (g(0) = 0) and the high one -0 would be taken
    # from the first zero in order; here mean 0 and non-negative samples with zeros.
    ("u8", 1.0, 0.0, 0.0, RNG.integers(0, 4, (1, 1000), dtype=np.uint8)),
    ("i16", 1.0, 0.0, 0.0, -RNG.integers(0, 3, (1, 1000)).astype(np.int16)),
    # Huge scale: the chain overflows to +-inf at the ends (inf bounds give NaN spans).
    ("i32", 1e38, 0.0, 0.0, RNG.integers(-2**31, 2**31, (1, 1000), dtype=np.int32)),
    # A negative scale is not monotone non-decreasing: the float scan decides.
    ("i16", -0.001, 3.0, 0.5, RNG.integers(-32768, 32768, (1, 1000), dtype=np.int16)),
]


@pytest.mark.parametrize(("source", "scale", "offset", "mean", "x"), CASES)
def test_fused_chain_bounds_match_the_unfused_pipeline(tmp_path, source, scale, offset, mean, x):
    runes = _runes(tmp_path, source=source, n=x.shape[1], scale=scale, offset=offset, mean=mean)
    fused, unfused = _both(runes, x)
    np.testing.assert_array_equal(fused.view(np.uint32), unfused.view(np.uint32))
    assert fused.shape == x.shape


def test_a_zero_bound_keeps_the_first_zeros_sign(tmp_path):
    """Unfolded, standardize's division underflows: g(-1) = (-2^-149 - 0) / 4 is -0 while
    g(0) = +0. The fold's low bound is the first zero (+0 here), not the smallest integer's
    -0, and the sign shows in (g(-1) - low) / span: -0 - +0 = -0, where -0 - -0 would be +0."""
    x = np.array([[0, -1, 10, -1, 0, 3] * 50], dtype=np.int16)
    runes = _runes(tmp_path, fold=False, std=4.0, source="i16", n=x.shape[1],
                   scale=float(np.float32(2.0**-149)), offset=0.0, mean=0.0)
    fused, unfused = _both(runes, x)
    assert np.signbit(fused[0, 1]) and fused[0, 1] == 0.0
    np.testing.assert_array_equal(fused.view(np.uint32), unfused.view(np.uint32))


def test_fused_chain_result_is_the_fit_of_the_chain(tmp_path):
    """The values themselves: (g(x) - min g) / (max g - min g) with g computed as the fused
    chain does (one multiply-add after fold-affine), 0 at the minimum and 1 at the maximum."""
    x = RNG.integers(-32768, 32768, (1, 1000), dtype=np.int16)
    runes = _runes(tmp_path, source="i16", n=1000, scale=0.000030517578, offset=0.0, mean=0.01)
    fused, _ = _both(runes, x)
    assert fused[0, np.argmin(x)] == 0.0 and fused[0, np.argmax(x)] == 1.0
    assert np.all((fused >= 0.0) & (fused <= 1.0))
    assert np.all(np.diff(fused[0, np.argsort(x[0], kind="stable")]) >= 0.0)  # order kept
