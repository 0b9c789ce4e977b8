"""Cold `runec` of this checkout against another commit's, interleaved: CPU and wall medians.

On a machine shared with other work, wall time is CPU time plus waiting for a core, so two
builds are only comparable side by side: this script exports REF (`git archive`) into a
temporary `rune` package, then alternates whole `runec` processes of REF (A) and of this checkout
(B), each with its own compile cache and bytecode folder, over bench_compile_time's kinds that a
change to the compiler moves: (b) microspeech with other labels in a fresh folder, (b2) with a
noise_filtering smoothing_bits neither has compiled (fresh folder), (c) no cache. Each side
filled its cache with microspeech first. CPU is user + system of the process and its children
(wasm-ld).

Run: python benchmarks/ab_compile_time.py REF [--runs N]   (e.g. main)
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import bench_compile_time
from bench_compile_time import RUNEFILE, UNSEEN_BITS, new_runefile
from common import ROOT

KINDS = ("b", "b2", "c")


def export(ref: str, into: Path) -> Path:
    """REF's tree as the `rune` package under `into` (put on PYTHONPATH: it comes before the
    editable install's finder)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True,
                             check=True).stdout
    package = into / "rune"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(package, filter="data")
    return into


def cold_run(path: Path | None, side: str, runefile: Path, out: Path, cache: str,
             pycache: Path) -> tuple[float, float]:
    """bench_compile_time's whole-process timing (wall, CPU) of one side: REF's exported tree
    (`path`) or this checkout (None), each with a bytecode folder of its own."""
    wall, cpu, _ = bench_compile_time.cold_run(runefile, out, cache, pycache=pycache / side,
                                               source=path)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the commit to compare with (A)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sides = {"A": export(args.ref, tmp / "a-src"), "B": None}
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {
            (side, kind): [] for side in sides for kind in KINDS}
        for side, path in sides.items():  # bytecode written, then the caches filled
            cold_run(path, side, RUNEFILE, tmp / "x.rune", "off", tmp / "pyc")
            cold_run(path, side, RUNEFILE, tmp / "x.rune", str(tmp / side), tmp / "pyc")
        for i in range(args.runs):
            for side, path in sides.items():
                cache = str(tmp / side)
                other = new_runefile(tmp / f"{side}-b{i}", f"word{i}", more=i)
                samples[(side, "b")].append(cold_run(path, side, other, tmp / "o.rune", cache,
                                                     tmp / "pyc"))
                code = new_runefile(tmp / f"{side}-b2-{i}", "", smoothing_bits=UNSEEN_BITS[i])
                samples[(side, "b2")].append(cold_run(path, side, code, tmp / "o.rune", cache,
                                                      tmp / "pyc"))
                samples[(side, "c")].append(cold_run(path, side, RUNEFILE, tmp / "o.rune", "off",
                                                     tmp / "pyc"))
    print(f"cold runec, A = {args.ref}, B = this checkout; medians of {args.runs} interleaved "
          f"runs (load average {os.getloadavg()[0]:.2f})")
    for kind in KINDS:
        cells = []
        for side in sides:
            cpu = statistics.median(c for _, c in samples[(side, kind)])
            wall = statistics.median(w for w, _ in samples[(side, kind)])
            cells.append(f"{side}: CPU {cpu:.3f} s, wall {wall:.3f} s")
        print(f"  ({kind}) " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
