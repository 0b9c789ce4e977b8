"""Compile time: a cold `runec` process on the microspeech Runefile, and where the time goes.

Two medians over whole processes (start to exit): with the compile cache off (every stage runs)
and with a warm compile cache (a cold process that finds the Runefile's rune in the
content-addressed cache, `RUNE_COMPILE_CACHE`, which the first run filled). Goal: <= 0.5 s.

Run: python benchmarks/bench_compile_time.py [--json] (part of `make bench`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PEER, bench_main

RUNEFILE = PEER / "examples" / "microspeech" / "Runefile.yml"
RUNS = 7
GOAL_S = 0.5


def cold_run(output: Path, cache: str, extra: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rune.tools.runec", str(RUNEFILE), "-o", str(output), *extra],
        capture_output=True, text=True, check=True,
        env={**os.environ, "RUNE_COMPILE_CACHE": cache},
    )
    return time.perf_counter() - start, done.stderr


def measure(runs: int = RUNS) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        output, cache = Path(tmp) / "microspeech.rune", str(Path(tmp) / "cache")
        cold_run(output, "off", [])  # fill the .pyc cache once, as any installed compiler has
        uncached = [cold_run(output, "off", [])[0] for _ in range(runs)]
        _, report = cold_run(output, "off", ["--time-passes"])
        reference = output.read_bytes()
        cold_run(output, cache, [])  # the first compile fills the compile cache
        cached = [cold_run(output, cache, [])[0] for _ in range(runs)]
        _, cached_report = cold_run(output, cache, ["--time-passes"])
        assert output.read_bytes() == reference, "a cache hit must give the same rune"
    return {"runs": runs, "uncached_s": statistics.median(uncached),
            "uncached_min_s": min(uncached), "cached_s": statistics.median(cached),
            "cached_min_s": min(cached), "goal_s": GOAL_S, "report": report,
            "cached_report": cached_report}


def report(result: dict) -> None:
    """The figures as text."""
    print(f"Cold runec on examples/microspeech, median over {RUNS} processes:")
    print(f"  compile cache off: {result['uncached_s']:.3f} s "
          f"(min {result['uncached_min_s']:.3f})")
    print(f"  compile cache hit: {result['cached_s']:.3f} s (min {result['cached_min_s']:.3f}; "
          f"goal <= {GOAL_S} s: {'met' if result['cached_s'] <= GOAL_S else 'NOT met'})")
    print("Split of one uncached run (runec --time-passes):")
    print(result["report"])
    print("Split of one cached run:")
    print(result["cached_report"])


def main() -> int:
    return bench_main(__doc__, measure, report)


if __name__ == "__main__":
    sys.exit(main())
