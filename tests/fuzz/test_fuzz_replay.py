"""`make test` replays every fuzz input checked in (the seed corpus and every finding kept as a
regression case) through its target, each target in its own process so a native crash fails
the test instead of the test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from targets import TARGETS, TIMEOUTS

# Only the runefile target compiles, at the -O0 it names (targets.runefile); the others load,
# verify or decode. $RUNE_OPT_LEVEL cannot change any of it: `make test`'s -O0 pass leaves the
# module to the -O2 pass.
pytestmark = pytest.mark.fixed_opt_level

HERE = Path(__file__).resolve().parent


def _inputs(target: str) -> list[Path]:
    return sorted(p for folder in ("corpus", "regressions")
                  for p in (HERE / folder / target).glob("*") if p.is_file())


@pytest.mark.parametrize("target", list(TARGETS))
def test_checked_in_inputs_replay_cleanly(target: str, tmp_path: Path):
    inputs = _inputs(target)
    assert inputs, f"no corpus for {target}"
    proc = subprocess.run(
        [sys.executable, str(HERE / "replay.py"), target, str(tmp_path), *map(str, inputs)],
        capture_output=True, text=True, timeout=30 + TIMEOUTS[target] * len(inputs),
        check=False)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, (f"exit {proc.returncode} (last: {lines[-1:]})\n"
                                  + "\n".join(line for line in lines if line.startswith("finding"))
                                  + proc.stderr[-2000:])
    assert sum(line.startswith("ok ") for line in lines) == len(inputs)


def test_regressions_cover_every_class():
    """The crashes of issue 16, one file each, stay in the replayed set."""
    names = {p.parent.name + "/" + p.stem for p in HERE.glob("regressions/*/*")}
    for case in ("runefile/deep-flow", "runefile/tag-bool", "runefile/fft-1e12",
                 "runefile/dev-zero", "rune/4301-digits", "rune/deep-json",
                 "tflite/ms-dw-nobias", "tflite/out-unwritten", "tflite/fc-w-1",
                 "onnx/external-secret", "decoders/wav-4294967295hz",
                 "decoders/png-12000x12000"):
        assert case in names, case
