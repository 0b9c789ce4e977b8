"""`rune eval` throughput: clips per second in this process, on 1 and 2 local worker processes
and on a Ray cluster (2 CPUs, loopback), with the scaling ratios.

    python benchmarks/bench_eval.py [--clips N] [--repeats R]

The peer suite's microspeech rune, compiled here, on N clips: the 400 synthesised clips
(rune.eval.synth) listed N/400 times in a CSV manifest. Each figure is the wall time of
`evaluate` as a user pays it, start-up included (spawning the workers and loading the rune in
each; Ray's workers for the job), the median of R runs, the engines interleaved run by run.
Start-up alone is measured the same way on 4 clips. Each worker runs one rune at a time on one
thread of its own; the machine has 2 cores, shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PEER, table  # noqa: E402
from rune.eval import evaluate  # noqa: E402
from rune.eval.local_ray import LocalRayCluster  # noqa: E402
from rune.eval.synth import synthesise  # noqa: E402

ENGINES = {
    "in-process": {"workers": 0},
    "1 local worker": {"workers": 1},
    "2 local workers": {"workers": 2},
    "Ray, 2 CPUs": {},  # ray_address is added once the cluster is up
}


def manifest(clips: Path, count: int, out: Path) -> Path:
    rows = (clips / "clips.csv").read_text().splitlines()[1:]
    lines = ["path,label"] + [
        f"{clips / row.split(',')[0]},{row.split(',')[1]}" for row in rows
    ] * -(-count // len(rows))
    out.write_text("\n".join(lines[: count + 1]) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["RUNE_CACHE_DIR"] = str(root / "cache")
        rune = root / "microspeech.rune"
        subprocess.run([Path(sys.executable).parent / "runec",
                        PEER / "examples" / "microspeech" / "Runefile.yml", "-o", rune],
                       check=True)  # fmt: skip
        synthesise(root / "clips", per_label=80)
        big = manifest(root / "clips", args.clips, root / "big.csv")
        tiny = manifest(root / "clips", 4, root / "tiny.csv")
        with LocalRayCluster(num_cpus=2) as address:  # its env is in ours until it stops
            ENGINES["Ray, 2 CPUs"] = {"ray_address": address}
            walls: dict[str, list[float]] = {name: [] for name in ENGINES}
            starts: dict[str, list[float]] = {name: [] for name in ENGINES}
            reports = {}
            per_clip: dict[str, list[float]] = {name: [] for name in ENGINES}
            for _ in range(args.repeats):
                for name, options in ENGINES.items():
                    report = evaluate(rune, big, progress=False, **options)
                    walls[name].append(report.data["timing"]["wall_s"])
                    per_clip[name].append(report.data["timing"]["stages"]["total"]["p50"])
                    reports[name] = report.without_timing()
                    start = evaluate(rune, tiny, progress=False, **options)
                    starts[name].append(start.data["timing"]["wall_s"])
        assert all(r == reports["in-process"] for r in reports.values()), "reports differ"
    rate = {name: args.clips / statistics.median(w) for name, w in walls.items()}
    rows = [[name, f"{rate[name]:.0f}", f"{statistics.median(walls[name]):.2f}",
             f"{statistics.median(starts[name]):.2f}", f"{statistics.median(per_clip[name]):.0f}"]
            for name in ENGINES]  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"rune eval: microspeech on {args.clips} clips, median of {args.repeats} "
          f"({os.cpu_count()} CPUs, load average after the runs {load})")  # fmt: skip
    print(table(["engine", "clips/s", "wall s", "start-up s (4 clips)", "run p50 µs"], rows))
    one = rate["1 local worker"]
    print(f"scaling: 2 local workers / 1 = {rate['2 local workers'] / one:.2f}x; "
          f"Ray (2 CPUs) / 1 local worker = {rate['Ray, 2 CPUs'] / one:.2f}x; "
          f"1 local worker / in-process = {one / rate['in-process']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
