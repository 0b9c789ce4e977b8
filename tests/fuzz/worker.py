"""One fuzzing worker: `python worker.py TARGET WORKDIR -- LIBFUZZER_ARGS...`.

Runs TARGET (targets.py) under atheris/libFuzzer with coverage of the `rune` package, in
WORKDIR. libFuzzer enforces the per-input timeout and the RSS cap and writes the input of any
crash, hang or overrun to -artifact_prefix, then exits; the campaign driver restarts it. Without
atheris, a plain mutation loop over the corpus does the same job more slowly.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    name, workdir, *rest = sys.argv[1:]
    flags = rest[1:] if rest[:1] == ["--"] else rest
    import targets  # noqa: E402 (needs sys.path above)

    targets.setup_workdir(Path(workdir))
    os.chdir(workdir)
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is None:
        _plain_loop(targets.TARGETS[name], flags)
        return
    with atheris.instrument_imports(include=["rune"]):
        _import_target_modules(name)
    mutator = {"tflite": targets.tflite_mutator}.get(name)
    atheris.Setup([sys.argv[0], *flags], _counted(targets.TARGETS[name], Path(workdir)),
                  custom_mutator=mutator)
    atheris.Fuzz()


def _counted(target, workdir: Path):
    """The target, tallying how inputs ended ("refused", "accepted, ran on LiteRT", ...) into
    outcomes-PID.json beside the work directory every few seconds, for the campaign's figures
    (libFuzzer ends the process without running Python's exit handlers)."""
    counts: dict[str, int] = {}
    sink = workdir.parent / f"outcomes-{os.getpid()}.json"
    last = [time.monotonic()]

    def run(data: bytes) -> None:
        outcome = target(data)
        counts[outcome] = counts.get(outcome, 0) + 1
        if time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            sink.write_text(json.dumps(counts))

    return run


def _import_target_modules(name: str) -> None:
    """Import what a target runs, so atheris instruments it (imports inside are then cheap)."""
    if name == "runefile":
        import rune.tools.compiler  # noqa: F401
    elif name == "rune":
        import rune.runtime.host  # noqa: F401
    elif name == "tflite":
        import ai_edge_litert.interpreter  # noqa: F401 (not instrumented: not rune's)
        import rune.abi.models.tflite_graph  # noqa: F401
    elif name == "onnx":
        import onnx  # noqa: F401 (the first input must not pay for these imports)
        import onnxruntime  # noqa: F401
        import rune.abi.models.onnx_rules  # noqa: F401
    else:
        import rune.runtime.accel  # noqa: F401
        import rune.runtime.image  # noqa: F401
        import rune.runtime.sound  # noqa: F401


def _plain_loop(target, flags: list[str]) -> None:
    """Mutate corpus files at random (byte flips, inserts, deletes, splices) until
    -max_total_time; print the executed-units stat as libFuzzer does."""
    options = dict(f[1:].split("=", 1) for f in flags if f.startswith("-") and "=" in f)
    corpus = [Path(f) for f in flags if not f.startswith("-")]
    seeds = [p.read_bytes() for d in corpus for p in sorted(d.iterdir()) if p.is_file()]
    deadline = time.monotonic() + float(options.get("max_total_time", 60))
    rng, runs = random.Random(0), 0
    while time.monotonic() < deadline:
        data = bytearray(rng.choice(seeds) if seeds else b"")
        for _ in range(rng.randint(1, 8)):
            pos = rng.randint(0, len(data))
            choice = rng.random()
            if choice < 0.4 and data:
                data[min(pos, len(data) - 1)] = rng.randint(0, 255)
            elif choice < 0.7:
                data[pos:pos] = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 8)))
            elif choice < 0.9:
                del data[pos:pos + rng.randint(1, 16)]
            elif seeds:
                other = rng.choice(seeds)
                data[pos:] = other[rng.randint(0, len(other)):]
        runs += 1
        try:
            target(bytes(data))
        except Exception:
            Path(options.get("artifact_prefix", "./") + f"crash-{runs}").write_bytes(data)
            raise
    print(f"stat::number_of_executed_units: {runs}", file=sys.stderr)


if __name__ == "__main__":
    main()
