"""The identity behind pointwise.VectorRequant's folded rounding division, checked against
the reference's fixed-point functions (ir/tfl_fixed_point) on random and edge values; the
compiled kernels that use it are compared with LiteRT in test_operators and test_runefile."""

from __future__ import annotations

import numpy as np
from rune.ir import tfl_fixed_point as fp


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
        right, largest = sorted(int(v) for v in rng.integers(1, 16, 2))
        scale = 1 << (largest - right)
        for x in [0, 1, -1, *rng.integers(-(1 << 20), 1 << 20, 8).tolist()]:
            want = fp.rdbpot(fp.srdhm(x, multiplier), right)
            high = (x * multiplier + (1 << 30) + (1 << (30 + right))) >> 31
            assert ((high - (x < 0)) * scale) >> largest == want, (x, multiplier, right)
            assert fp.rdbpot(fp.srdhm(x, multiplier) * scale, largest) == want, \
                (x, multiplier, right, largest)
