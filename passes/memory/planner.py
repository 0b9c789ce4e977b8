"""Offset assignment for buffers with known sizes and lifetimes.

A buffer lives over the closed interval [first, last] of schedule steps. Two buffers may share
bytes only if their intervals do not overlap. Strategies:

- `naive`: every buffer gets its own bytes, in definition order (the sum of all sizes).
- `greedy-by-size`: TensorFlow Lite Micro's GreedyMemoryPlanner, which is Pisarchyk & Lee
  (2020) "Greedy by Size for offset calculation": place buffers from largest to smallest, each at
  the lowest offset where it fits beside the already placed buffers whose lifetimes overlap it.
  Greedy can miss the optimum on a simple chain (sizes 32, 16, 16, 32 give 64 bytes, not 48), so
  when the buffers form a chain (each overlaps only its neighbours in time) the two-sided layout
  is tried too (alternate buffers at the bottom and at the top of the arena), which always
  reaches the lower bound there; the smaller plan wins.

`lower_bound` is the largest total size of buffers live at one step: no plan can be smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGNMENT = 16
STRATEGIES = ("naive", "greedy-by-size")


@dataclass(frozen=True)
class Interval:
    size: int
    first: int
    last: int

    def overlaps(self, other: Interval) -> bool:
        return self.first <= other.last and other.first <= self.last


def align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def plan(buffers: list[Interval], strategy: str) -> list[int]:
    """One offset per buffer, each a multiple of ALIGNMENT."""
    if strategy == "naive":
        offsets, cursor = [], 0
        for buffer in buffers:
            offsets.append(cursor)
            cursor += align(buffer.size)
        return offsets
    if strategy == "greedy-by-size":
        greedy = _greedy_by_size(buffers)
        two_sided = _two_sided_chain(buffers)
        if two_sided is not None and arena_size(buffers, two_sided) < arena_size(buffers, greedy):
            return two_sided
        return greedy
    raise ValueError(f"unknown memory-planning strategy {strategy!r}; "
                     f"expected one of {', '.join(STRATEGIES)}")


def _greedy_by_size(buffers: list[Interval]) -> list[int]:
    order = sorted(range(len(buffers)),
                   key=lambda i: (-align(buffers[i].size), buffers[i].first, i))
    offsets: dict[int, int] = {}
    for i in order:
        buffer = buffers[i]
        busy = sorted(
            (offsets[j], offsets[j] + align(buffers[j].size))
            for j in offsets
            if buffers[j].overlaps(buffer)
        )
        candidate = 0
        for start, end in busy:
            if candidate + align(buffer.size) <= start:
                break
            candidate = max(candidate, end)
        offsets[i] = candidate
    return [offsets[i] for i in range(len(buffers))]


def _two_sided_chain(buffers: list[Interval]) -> list[int] | None:
    """Even chain positions at offset 0, odd ones flush with the top; None if not a chain."""
    order = sorted(range(len(buffers)), key=lambda i: (buffers[i].first, buffers[i].last))
    for position, i in enumerate(order):
        for other in order[position + 2 :]:
            if buffers[i].overlaps(buffers[other]):
                return None
    top = lower_bound(buffers)
    offsets = [0] * len(buffers)
    for position, i in enumerate(order):
        if position % 2:
            offsets[i] = top - align(buffers[i].size)
    return offsets


def arena_size(buffers: list[Interval], offsets: list[int]) -> int:
    return max((o + align(b.size) for b, o in zip(buffers, offsets, strict=True)), default=0)


def lower_bound(buffers: list[Interval]) -> int:
    steps = {b.first for b in buffers}
    return max(
        (sum(align(b.size) for b in buffers if b.first <= t <= b.last) for t in steps), default=0
    )


def check_plan(buffers: list[Interval], offsets: list[int]) -> None:
    """Raise if two buffers that are live at once share a byte (a planner bug)."""
    for i, a in enumerate(buffers):
        for j in range(i + 1, len(buffers)):
            b = buffers[j]
            apart = (offsets[i] + a.size <= offsets[j]) or (offsets[j] + b.size <= offsets[i])
            if a.overlaps(b) and not apart and a.size and b.size:
                raise AssertionError(f"buffers {i} and {j} overlap in time and in memory")
