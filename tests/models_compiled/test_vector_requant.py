"""The identity behind pointwise.VectorRequant's folded rounding division, checked against
the reference's fixed-point functions (ir/tfl_fixed_point) on random and edge values; the
compiled kernels that use it are compared with LiteRT in test_operators and test_runefile."""

from __future__ import annotations

import numpy as np
from rune.ir import tfl_fixed_point as fp
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.tfl import conv_int, pointwise
from xdsl.ir import Block


def folded(x: int, multiplier: int, right: int) -> int:
    """What the vector code computes: (floor((x*m + 2**30 + 2**(30+r)) / 2**31) - [x<0]) >> r."""
    high = (x * multiplier + (1 << 30) + (1 << (30 + right))) >> 31
    return (high - (x < 0)) >> right


def test_folded_rounding_division_equals_srdhm_then_rdbpot():
    rng = np.random.default_rng(0)
    edges = [0, 1, -1, 2, -2, (1 << 24) - 1, -(1 << 24)]
    for _ in range(3000):
        multiplier = int(rng.integers((1 << 30) + 1, 1 << 31))
        right = int(rng.integers(1, 20))
        for x in [*edges, *rng.integers(-(1 << 24), 1 << 24, 8).tolist()]:
            assert folded(x, multiplier, right) == fp.rdbpot(fp.srdhm(x, multiplier), right), \
                (x, multiplier, right)


def test_scaled_to_the_largest_shift_equals_each_channels_own():
    """Per-channel right shifts r <= R: the lane multiplied by 2**(R - r), then divided by
    2**R, in both forms (folded: the channel's own nudge; else the compare-free rounding
    division by 2**R), gives RoundingDivideByPOT by r."""
    rng = np.random.default_rng(1)
    for _ in range(2000):
        multiplier = int(rng.integers((1 << 30) + 1, 1 << 31))
        right, largest = sorted(int(v) for v in rng.integers(0, 16, 2))
        scale = 1 << (largest - right)
        for x in [0, 1, -1, *rng.integers(-(1 << 20), 1 << 20, 8).tolist()]:
            want = fp.rdbpot(fp.srdhm(x, multiplier), right)
            if right:  # the folded form needs 2**(r-1): r >= 1
                high = (x * multiplier + (1 << 30) + (1 << (30 + right))) >> 31
                assert ((high - (x < 0)) * scale) >> largest == want, (x, multiplier, right)
            assert fp.rdbpot(fp.srdhm(x, multiplier) * scale, largest) == want, \
                (x, multiplier, right, largest)


def _vector(reals: list[float]) -> tuple[pointwise.VectorRequant | None, dict]:
    """VectorRequant.of for these multipliers, and the tables it made (name -> values)."""
    b = KernelBuilder(Block(), simd=True)
    out = Buffer(b.constant(0, "i32").value, "i8", (len(reals),))
    vector = pointwise.VectorRequant.of(b, conv_int.Requant.of(reals, 0, (-128, 127)), out, 1000)
    return vector, {g.sym_name.data.split(".")[1]: g.initial_value.get_values()
                    for g in b.globals}


def test_vector_requant_with_per_channel_shifts():
    """Right shifts 0, 4 and 1 (multipliers 0.7, 0.05, 0.3): scaled by 2**(4 - r) and shifted by
    4, not folded (a shift of 0 has no nudge 2**(r-1)); 4, 1: folded with per-channel
    nudges; a largest accumulator whose scaled values could overflow i32: no vector form."""
    mixed, tables = _vector([0.7, 0.05, 0.3, 0.7])
    assert (mixed.right, mixed.folded, mixed.nudges) == (4, False, None)
    assert tables["scale"] == (16, 1, 8, 16)
    positive, tables = _vector([0.05, 0.3, 0.3, 0.05])
    assert (positive.right, positive.folded) == (4, True)
    assert tables["scale"] == (1, 8, 8, 1)
    assert tables["nudge"] == tuple(((1 << 30) + (1 << (30 + r))) << positive.doubled
                                    for r in (4, 1, 1, 4))
    b = KernelBuilder(Block(), simd=True)
    out = Buffer(b.constant(0, "i32").value, "i8", (4,))
    wide = conv_int.Requant.of([0.7, 1e-6, 0.7, 0.7], 0, (-128, 127))  # shifts 0 and 19
    assert pointwise.VectorRequant.of(b, wide, out, 1 << 20) is None
