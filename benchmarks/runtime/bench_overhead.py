"""Host overhead per inference of the sine rune: the unchecked call path against the public one.

    python benchmarks/runtime/bench_overhead.py [--runs N]

Compiles examples/sine with `runec` (into a temporary directory), then runs `rune bench`'s
measurement (rune.runtime.bench) on examples/sine/input.bin with each call path and prints the
medians: total latency of `Rune.run`, time in the model (copying tensors in and out of LiteRT
and invoking it), and host overhead = total - model. The goal is a host overhead under 5 µs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from rune.abi.container import read_rune
from rune.runtime.bench import bench

ROOT = Path(__file__).resolve().parents[2]
SINE = ROOT / "examples" / "sine"
GOAL_US = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000, help="timed runs, fast path (20000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "sine.rune"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rune.tools.runec",
                str(SINE / "Runefile.yml"),
                "-o",
                str(target),
            ],
            check=True,
        )
        container = read_rune(target.read_bytes())
    inputs = {"angle": SINE / "input.bin"}
    print(f"sine rune, input {SINE / 'input.bin'}; medians in µs")
    print(f"{'call path':<12}{'runs':>8}{'total':>10}{'model':>10}{'overhead':>10}")
    fast_overhead = None
    for fast, runs in ((True, args.runs), (False, max(args.runs // 10, 200))):
        report = bench(container, inputs, runs=runs, warmup=max(runs // 10, 100), fast_path=fast)
        assert report.model is not None and report.overhead is not None  # a handler model
        name = "unchecked" if fast else "public"
        print(f"{name:<12}{runs:>8}{report.total.p50:>10.2f}{report.model.p50:>10.2f}"
              f"{report.overhead.p50:>10.2f}")  # fmt: skip
        if fast:
            fast_overhead = report.overhead.p50
    assert fast_overhead is not None
    verdict = "met" if fast_overhead < GOAL_US else f"missed by {fast_overhead - GOAL_US:.2f} µs"
    print(f"goal: host overhead < {GOAL_US:g} µs on the unchecked path: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
