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
