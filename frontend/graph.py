"""The pipeline as a data-flow graph: the order stages run in, and the cycles that forbid one."""

from __future__ import annotations

from collections.abc import Iterator

from rune.frontend.ast import Input, Runefile

Edge = tuple[str, Input]
"""A stage and one of its inputs (the data flows from `input.stage` into the stage)."""

Cycle = list[Edge]
"""Edges in dependency order: each stage reads from the next; the last reads from the first."""


def execution_order(runefile: Runefile) -> list[str]:
    """Stage names so that every stage comes after its inputs: depth-first in Runefile order,
    each stage's inputs (in the order written) before the stage itself, as the original did.
    Unknown inputs and cycle-closing inputs are skipped; check_runefile reports those."""
    return _depth_first(runefile)[0]


def find_cycles(runefile: Runefile) -> list[Cycle]:
    """One cycle per input that closes a loop, found in the same walk as execution_order."""
    return _depth_first(runefile)[1]


def _depth_first(runefile: Runefile) -> tuple[list[str], list[Cycle]]:
    # Iterative, so a long chain of stages cannot hit Python's recursion limit.
    order: list[str] = []
    cycles: list[Cycle] = []
    finished: set[str] = set()
    for root in runefile.stages:
        if root in finished:
            continue
        stack: list[tuple[str, Iterator[Input]]] = [(root, iter(runefile.stages[root].inputs))]
        path: list[Edge] = []  # path[i] leads from stack[i] to stack[i + 1]
        while stack:
            name, pending = stack[-1]
            source = next(pending, None)
            if source is None:
                stack.pop()
                if path:
                    path.pop()
                finished.add(name)
                order.append(name)
            elif source.stage not in finished and source.stage in runefile.stages:
                active = [stage for stage, _ in stack]
                if source.stage in active:
                    cycles.append([*path[active.index(source.stage) :], (name, source)])
                else:
                    path.append((name, source))
                    stack.append((source.stage, iter(runefile.stages[source.stage].inputs)))
    return order, cycles
