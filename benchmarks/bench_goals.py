"""Issue 15's goals, each a ratio measured side by side in this one run, printed with its goal.

    python benchmarks/bench_goals.py [--quick]      (make bench)

Runs the microspeech, fusion and compile-time benchmarks (their `measure` functions, single
threaded: OPENBLAS_NUM_THREADS=1 and friends are set before NumPy loads, LiteRT gets one thread)
and notes the machine's CPU model and core count, since every figure depends on them.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))

import bench_compile_time  # noqa: E402
import bench_fusion  # noqa: E402
import bench_microspeech  # noqa: E402
import numpy as np  # noqa: E402


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (noisier)")
    args = parser.parse_args()
    runs = 60 if args.quick else 300
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
          f"{platform.machine()}; NumPy {np.__version__} and LiteRT pinned to one thread")
    speech = bench_microspeech.measure(runs)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        chains = [bench_fusion.measure(name, text, chain, x, Path(tmp), runs, tol)
                  for name, text, chain, x, tol in bench_fusion.chains(rng)]
    compile_time = bench_compile_time.measure()
    rows = [(f"microspeech ({name}) vs NumPy+LiteRT (speed-up)", speedup, ">= 3x",
             speedup >= 3.0) for name, speedup in speech["speedups"].items() if name != "handler"]
    for chain in chains:
        rows.append((f"{chain['chain']} vs NumPy (copy-free)", chain["vs_numpy"], "> 1x",
                     chain["vs_numpy"] > 1.0))
    rows.append(("cold runec, compile cache hit (s)", compile_time["cache_hit_s"], "<= 0.5 s",
                 compile_time["cache_hit_s"] <= 0.5))
    rows.append(("cold runec, other labels, new folder (s)",
                 compile_time["kernels_cached_s"], "<= 0.5 s",
                 compile_time["kernels_cached_s"] <= 0.5))
    rows.append(("cold runec, new smoothing_bits, kernels cached (s)",
                 compile_time["code_changed_s"], "<= 0.5 s",
                 compile_time["code_changed_s"] <= 0.5))
    rows.append(("cold runec, compile cache off (s)", compile_time["uncached_s"], "(no goal)",
                 None))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'measured':>9}  {'goal':>9}  status")
    for name, value, goal, met in rows:
        status = "" if met is None else ("met" if met else "NOT met")
        print(f"{name:<{width}}  {value:9.2f}  {goal:>9}  {status}")
    print(f"\nmicrospeech µs per inference (median of {runs} runs in each of "
          f"{speech['processes']} processes, rune {speech['variant']}): "
          + ", ".join(f"{r['recording']} {r['rune_us']:.0f} vs {r['numpy_us']:.0f}"
                      for r in speech["rows"]))
    for chain in chains:
        us = chain["us"]
        print(f"{chain['chain']}: rune {us['fused']:.0f} µs (copy-free {us['copy-free']:.0f}), "
              f"-O0 {us['unfused']:.0f}, NumPy {us['numpy']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
