"""Shared helpers for the benchmarks: where things are, and how to time them honestly."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def bench_main(doc: str, measure: Callable[..., Any], report: Callable[[Any], None],
               runs: int | None = None) -> int:
    """The command line the benchmarks share: `--runs N` (for a `measure(runs)`; `runs` is its
    default) and `--json` (the figures `measure` returns, as JSON, instead of `report`'s text)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if runs is not None:
        parser.add_argument("--runs", type=int, default=runs, help=f"timed runs ({runs})")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = measure() if runs is None else measure(args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
