"""Compile time: a cold `runec` process on the microspeech Runefile, and where the time goes.

Run: python benchmarks/bench_compile_time.py (part of `make bench`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PEER

RUNEFILE = PEER / "examples" / "microspeech" / "Runefile.yml"
RUNS = 7


def cold_run(output: Path, extra: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rune.tools.runec", str(RUNEFILE), "-o", str(output), *extra],
        capture_output=True, text=True, check=True,
    )
    return time.perf_counter() - start, done.stderr


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "microspeech.rune"
        cold_run(output, [])  # fill the .pyc cache once, as any installed compiler has
        seconds = [cold_run(output, [])[0] for _ in range(RUNS)]
        _, report = cold_run(output, ["--time-passes"])
    print(f"Cold runec on examples/microspeech: median {statistics.median(seconds):.3f} s "
          f"over {RUNS} processes (min {min(seconds):.3f}, max {max(seconds):.3f})")
    print("Split of one run (runec --time-passes):")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
