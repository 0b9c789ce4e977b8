"""Shared helpers for the benchmarks: where things are, and how to time them honestly."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER = (ROOT.parent / "shared" / "peer-suite" / "hotg-rune").resolve()


def median_seconds(action: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of `action` over `repeats` runs: the machine is noisy, medians are not."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def interleaved_medians(actions: dict[str, Callable[[], object]], runs: int,
                        warmup: int = 20) -> dict[str, float]:
    """Median µs of each action, run alternately so that all of them see the same load."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for i in range(warmup + runs):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                times[name].append(elapsed)
    return {name: statistics.median(t) * 1e6 for name, t in times.items()}


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
