"""Compile time: a cold `runec` process on the microspeech Runefile, and where the time goes.

Medians over whole processes (start to exit), run alternately so that all see the same load:
(a) the whole-output compile cache holds this Runefile's rune; (b) a Runefile never compiled
before (microspeech with other labels: its last one replaced, and run i adding i more, in a fresh
folder each run): a label's words and their count are data (ir/data_args.py), so the code cache
(tools/code_cache.py) holds its pipeline object and only the label tables are built and linked;
(b2) microspeech with noise_filtering's smoothing_bits set to a value no compile has seen (fresh
folder each run): it decides that kernel's code, so only the per-kernel cache helps (3 kernels
cached, noise_filtering built, the whole module optimised by LLVM); (c) no cache at all. Goal:
<= 0.5 s. Every output of (b) and (b2) is checked byte for byte against a compile of the same
Runefile with no cache. A fifth, (d), is sine copied to a fresh folder with its one kernel
cached (sine has no data argument: no code cache). Each figure
also has its median CPU time (user + system, with wasm-ld): on a shared machine, wall time is CPU
time plus waiting for a core.

Run: python benchmarks/bench_compile_time.py [--json] (part of `make bench`).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PEER, bench_main

EXAMPLE = PEER / "examples" / "microspeech"
RUNEFILE = EXAMPLE / "Runefile.yml"
RUNS = 7
GOAL_S = 0.5
KINDS = ("cache_hit", "kernels_cached", "code_changed", "uncached", "sine_kernels_cached")
SINE = PEER / "examples" / "sine"
UNSEEN_BITS = [bits for bits in range(31) if bits != 10]  # smoothing_bits but the default
PYCACHE = Path(tempfile.gettempdir()) / "rune-bench-pycache"


def cold_run(runefile: Path, output: Path, cache: str, *extra: str, pycache: Path = PYCACHE,
             source: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children, such as wasm-ld) and stderr.

    Bytecode goes to a folder of its own (`pycache`), written by the first run and read by the
    rest, as an installed compiler's is: with PYTHONDONTWRITEBYTECODE set (as in this project's
    shells), an editable checkout recompiles every one of its modules in every process.
    `source`: a folder holding another tree's `rune` package to run instead of this checkout
    (put first on PYTHONPATH; ab_compile_time.py)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(RUNE_COMPILE_CACHE=cache, PYTHONPYCACHEPREFIX=str(pycache))
    if source is not None:
        env["PYTHONPATH"] = str(source)
    done = subprocess.run(
        [sys.executable, "-m", "rune.tools.runec", str(runefile), "-o", str(output), *extra],
        capture_output=True, text=True, check=True, env=env,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stderr


def new_runefile(folder: Path, word: str, more: int = 0, smoothing_bits: int | None = None
                 ) -> Path:
    """microspeech with its last label replaced by `word` and `more` labels added after it, or
    (`smoothing_bits`) with that argument given to noise_filtering: a Runefile no cache has
    seen."""
    folder.mkdir()
    shutil.copy(EXAMPLE / "model.tflite", folder)
    text = RUNEFILE.read_text()
    labels, noise = "          right\n", '#noise-filtering"\n'
    assert labels in text and noise in text
    if smoothing_bits is None:
        added = "".join(f"          {word}-{n}\n" for n in range(more))
        text = text.replace(labels, f"          {word}\n{added}")
    else:
        text = text.replace(noise, f"{noise}    args:\n      smoothing_bits: {smoothing_bits}\n")
    (folder / "Runefile.yml").write_text(text)
    return folder / "Runefile.yml"


def measure(runs: int = RUNS) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        output, cache = tmp / "microspeech.rune", str(tmp / "cache")
        cold_run(RUNEFILE, output, "off")  # fill the .pyc cache once, as any installed compiler has
        cold_run(RUNEFILE, output, cache)  # fills the compile cache and the per-kernel cache
        cold_run(SINE / "Runefile.yml", tmp / "sine.rune", cache)
        samples: dict[str, list[tuple[float, float, str]]] = {kind: [] for kind in KINDS}
        fresh: list[Path] = []
        for i in range(runs):
            samples["cache_hit"].append(cold_run(RUNEFILE, output, cache))
            fresh.append(new_runefile(tmp / f"new{i}", f"word{i}", more=i))
            samples["kernels_cached"].append(
                cold_run(fresh[-1], fresh[-1].with_suffix(".rune"), cache))
            fresh.append(new_runefile(tmp / f"smooth{i}", "", smoothing_bits=UNSEEN_BITS[i]))
            samples["code_changed"].append(
                cold_run(fresh[-1], fresh[-1].with_suffix(".rune"), cache))
            samples["uncached"].append(cold_run(RUNEFILE, output, "off"))
            sine = shutil.copytree(SINE, tmp / f"sine{i}")
            samples["sine_kernels_cached"].append(
                cold_run(sine / "Runefile.yml", tmp / "sine.rune", cache))
        for runefile in fresh:  # (b) and (b2) gave what no cache gives
            cold_run(runefile, tmp / "check.rune", "off")
            assert (tmp / "check.rune").read_bytes() == runefile.with_suffix(".rune").read_bytes()
        reports = {
            "cache_hit": cold_run(RUNEFILE, output, cache, "--time-passes")[2],
            "kernels_cached": cold_run(new_runefile(tmp / "report", "wordr"), output, cache,
                                       "--time-passes")[2],
            "code_changed": cold_run(
                new_runefile(tmp / "report-smooth", "", smoothing_bits=UNSEEN_BITS[runs]),
                output, cache, "--time-passes")[2],
            "uncached": cold_run(RUNEFILE, output, "off", "--time-passes")[2],
            "sine_kernels_cached": cold_run(shutil.copytree(SINE, tmp / "sine-report") /
                                            "Runefile.yml", output, cache, "--time-passes")[2],
        }
    result: dict = {"runs": runs, "goal_s": GOAL_S, "load_average": os.getloadavg()[0]}
    for kind in KINDS:
        walls = [wall for wall, _, _ in samples[kind]]
        result[f"{kind}_s"] = statistics.median(walls)
        result[f"{kind}_min_s"] = min(walls)
        result[f"{kind}_cpu_s"] = statistics.median(cpu for _, cpu, _ in samples[kind])
        result[f"{kind}_report"] = reports[kind]
    return result


LABELS = {
    "cache_hit": "(a) compile cache hit (same Runefile)",
    "kernels_cached": "(b) other labels, new folder",
    "code_changed": "(b2) new smoothing_bits, kernels cached",
    "uncached": "(c) no cache",
    "sine_kernels_cached": "(d) sine in a new folder, kernel cached",
}


def report(result: dict) -> None:
    """The figures as text."""
    print(f"Cold runec on examples/microspeech, median over {result['runs']} processes each "
          f"(load average {result['load_average']:.2f}):")
    for kind in KINDS:
        seconds = result[f"{kind}_s"]
        print(f"  {LABELS[kind]:<40} {seconds:.3f} s (min {result[f'{kind}_min_s']:.3f}, "
              f"CPU {result[f'{kind}_cpu_s']:.3f}; "
              f"goal <= {GOAL_S} s: {'met' if seconds <= GOAL_S else 'NOT met'})")
    for kind in ("kernels_cached", "code_changed", "uncached", "sine_kernels_cached"):
        print(f"Split of one run, {LABELS[kind]} (runec --time-passes):")
        print(result[f"{kind}_report"])


def main() -> int:
    return bench_main(__doc__, measure, report, runs=RUNS)


if __name__ == "__main__":
    sys.exit(main())
