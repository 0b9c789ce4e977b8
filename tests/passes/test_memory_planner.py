"""Memory planning: offsets never collide, and the greedy plan reaches the lower bound on chains."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.passes.memory.planner import (
    Interval,
    align,
    arena_size,
    check_plan,
    lower_bound,
    plan,
)

intervals = st.lists(
    st.builds(
        lambda size, first, length: Interval(size, first, first + length),
        st.integers(0, 5000), st.integers(0, 20), st.integers(0, 6),
    ),
    min_size=1, max_size=25,
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(intervals, st.sampled_from(["naive", "greedy-by-size"]))
def test_live_buffers_never_share_bytes(buffers, strategy):
    offsets = plan(buffers, strategy)
    check_plan(buffers, offsets)
    assert all(o % 16 == 0 for o in offsets)
    assert arena_size(buffers, offsets) >= lower_bound(buffers)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.lists(st.integers(1, 4096), min_size=2, max_size=12))
def test_greedy_reaches_the_lower_bound_on_a_chain(sizes):
    # A chain: tensor i is made at step i and read at step i + 1.
    chain = [Interval(size, i, i + 1) for i, size in enumerate(sizes)]
    offsets = plan(chain, "greedy-by-size")
    assert arena_size(chain, offsets) == lower_bound(chain)
    pairs = zip(sizes, sizes[1:], strict=False)
    assert lower_bound(chain) == max(align(a) + align(b) for a, b in pairs)


def test_naive_is_the_aligned_sum():
    buffers = [Interval(10, 0, 1), Interval(20, 1, 2), Interval(1, 2, 3)]
    assert plan(buffers, "naive") == [0, 16, 48]
    assert arena_size(buffers, plan(buffers, "naive")) == 64


def test_greedy_reuses_dead_space():
    buffers = [Interval(100, 0, 1), Interval(100, 1, 2), Interval(100, 2, 3)]
    assert plan(buffers, "greedy-by-size") == [0, 112, 0]


def test_check_plan_catches_a_collision():
    with pytest.raises(AssertionError, match="overlap"):
        check_plan([Interval(32, 0, 2), Interval(32, 1, 3)], [0, 16])


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="unknown memory-planning strategy 'best'"):
        plan([Interval(1, 0, 0)], "best")
