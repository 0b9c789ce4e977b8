"""The fuzzing campaign: `python tests/fuzz/campaign.py [--seconds N] [--jobs J] [TARGET...]`.

Each target runs for its time budget in a worker process (worker.py) with a per-input timeout
and an RSS cap; when the worker dies (a Python exception the target does not expect, a native
crash such as SIGSEGV in LiteRT, a hang, a memory overrun), the driver records the finding and
the input that caused it and starts a new worker on the same, grown corpus until the budget is
spent. Results go to build/fuzz/<target>/ (corpus, findings) and build/fuzz/summary.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from targets import RSS_LIMIT_MB, TARGETS, TIMEOUTS  # noqa: E402

REPO = HERE.parents[1]
OUT = REPO / "build" / "fuzz"
MAX_LEN = {"runefile": 8192, "rune": 65536, "tflite": 65536, "onnx": 16384, "decoders": 16384}
_UNITS = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_PROGRESS = re.compile(r"^#(\d+)\s", re.MULTILINE)
_KINDS = (("deadly signal", "native crash"), ("timeout", "hang"),
          ("out-of-memory", "memory overrun"), ("Uncaught Python exception", "exception"),
          ("Traceback", "exception"))


@dataclass
class Result:
    target: str
    seconds: float = 0.0
    inputs: int = 0
    workers: int = 0
    findings: list[dict] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)  # how the inputs tried ended
    corpus: dict[str, int] = field(default_factory=dict)  # outcome -> inputs, replayed


def run_target(name: str, seconds: float, out: Path = OUT) -> Result:
    """Fuzz one target for `seconds`, restarting the worker after every finding."""
    home = out / name
    corpus, findings, work = home / "corpus", home / "findings", home / "work"
    for folder in (corpus, findings):
        folder.mkdir(parents=True, exist_ok=True)
    for seeds in (HERE / "corpus" / name, HERE / "regressions" / name):
        for seed in sorted(seeds.glob("*")) if seeds.is_dir() else ():
            shutil.copy(seed, corpus / seed.name)
    result, start = Result(name), time.monotonic()
    while (left := seconds - (time.monotonic() - start)) > 5:
        shutil.rmtree(work, ignore_errors=True)
        before = set(findings.iterdir())
        flags = [f"-max_total_time={int(left)}", f"-timeout={TIMEOUTS[name]}",
                 f"-rss_limit_mb={RSS_LIMIT_MB}", f"-max_len={MAX_LEN[name]}",
                 f"-artifact_prefix={findings}/", "-print_final_stats=1", str(corpus)]
        log = home / f"worker-{result.workers}.log"
        with log.open("w") as sink:
            proc = subprocess.run([sys.executable, str(HERE / "worker.py"), name, str(work),
                                   "--", *flags], stdout=sink, stderr=subprocess.STDOUT,
                                  timeout=left + 120, check=False)
        text = log.read_text(errors="replace")
        result.workers += 1
        result.inputs += _executed(text)
        new = sorted(set(findings.iterdir()) - before)
        if proc.returncode != 0 or new:
            result.findings.append({"exit": proc.returncode, "kind": _kind(text),
                                    "inputs": [p.name for p in new], "log": log.name,
                                    "message": _message(text)})
    result.seconds = round(time.monotonic() - start, 1)
    for tally in home.glob("outcomes-*.json"):  # each worker's, last written up to 2 s early
        for outcome, count in json.loads(tally.read_text()).items():
            result.outcomes[outcome] = result.outcomes.get(outcome, 0) + count
    result.corpus = _outcomes(name, sorted(corpus.iterdir()), home / "replay")
    return result


def _outcomes(name: str, inputs: list[Path], work: Path) -> dict[str, int]:
    """How the grown corpus fares when replayed (refused, accepted and run, ...): how deep the
    campaign reached, not just how many inputs it tried."""
    counts: dict[str, int] = {}
    for batch in range(0, len(inputs), 200):
        proc = subprocess.run([sys.executable, str(HERE / "replay.py"), name, str(work),
                               *map(str, inputs[batch:batch + 200])],
                              capture_output=True, text=True, timeout=3600, check=False)
        for line in proc.stdout.splitlines():
            if line.startswith(("ok ", "finding ")):
                key = line.split(": ", 1)[1] if line.startswith("ok ") else "finding"
                counts[key] = counts.get(key, 0) + 1
    return counts


def _executed(text: str) -> int:
    final = _UNITS.findall(text)
    if final:
        return int(final[-1])
    progress = _PROGRESS.findall(text)
    return int(progress[-1]) if progress else 0


def _kind(text: str) -> str:
    return next((kind for marker, kind in _KINDS if marker in text), "exit")


def _message(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    tail = [line for line in lines if "Error" in line or "ERROR" in line or "error" in line]
    return (tail[-1] if tail else (lines[-1] if lines else "")).strip()[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"targets to fuzz (default: all of {', '.join(TARGETS)})")
    parser.add_argument("--seconds", type=float, default=180, help="budget per target")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed at once")
    parser.add_argument("--out", type=Path, default=OUT, help=f"results (default: {OUT})")
    args = parser.parse_args(argv)
    names = args.targets or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda n: run_target(n, args.seconds, args.out.resolve()),
                                names))
    summary = args.out / "summary.json"
    old = json.loads(summary.read_text()) if summary.is_file() else {}
    old.update({r.target: asdict(r) for r in results})
    summary.write_text(json.dumps(old, indent=2) + "\n")
    for r in results:
        kinds = ", ".join(f["kind"] for f in r.findings) or "none"
        print(f"{r.target}: {r.inputs} inputs in {r.seconds} s, {r.workers} worker(s), "
              f"findings: {kinds}; outcomes: {r.outcomes}")
    return 1 if any(r.findings for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
