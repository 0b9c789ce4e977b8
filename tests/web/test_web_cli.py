"""`npx rune-web run` against `rune run`: the same JSON for the same rune and files (floats from
TFLite models within the handler's bound), the same streaming lines, and the same kind of
one-line error for bad input."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.peer.harness import INTEGRATION, REPO, Result, run_tool

from . import webkit
from .test_web_cases import assert_within_bound

CLI_CASES = [c.id for c in webkit.peer_cases()] + [
    "generated/rand:seed=7",
    "generated/microspeech:up-44100-stereo-24bit.wav",
]


def rune_web(*args: str | Path) -> Result:
    argv = ["npx", "--no-install", "rune-web", *map(str, args)]
    proc = subprocess.run(argv, cwd=webkit.WEB, capture_output=True, timeout=300, check=False)
    return Result(argv, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def _flags(case: webkit.Case) -> list[str]:
    """Sound files by flag (as in the issue's `--sound up.wav`), the rest by extension."""
    flags = []
    for f in case.files:
        flags += ["--sound", str(f)] if f.suffix == ".wav" else [str(f)]
    return [*flags, "--seed", str(case.seed)]


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_same_json_as_rune_run(
    case_id: str, cases: dict[str, webkit.Case], web_built: None
) -> None:
    case = cases[case_id]
    ours = rune_web("run", case.rune, *_flags(case))
    theirs = run_tool("rune", "run", case.rune, *_flags(case), cwd=REPO)
    assert theirs.returncode == 0, theirs.explain()
    assert (ours.returncode, ours.stderr) == (0, ""), ours.explain()
    if case.models and '"f32"' in theirs.stdout:
        assert_within_bound(ours.stdout, theirs.stdout, case_id)
    else:
        assert ours.stdout == theirs.stdout


def test_streaming_by_hop_prints_the_same_lines(cases: dict[str, webkit.Case], scratch: Path,
                                                web_built: None) -> None:  # fmt: skip
    """A 2.5 s recording (up, then down, then half a second of silence) by 250 ms hops."""
    up, down = (INTEGRATION / "run-pass" / f"microspeech-{w}" / f"{w}.wav" for w in ("up", "down"))
    pcm = up.read_bytes()[44:] + down.read_bytes()[44:] + bytes(16000)
    long = scratch / "up-down.wav"
    long.write_bytes(up.read_bytes()[:40] + len(pcm).to_bytes(4, "little") + pcm)
    rune = cases["run-pass/microspeech-up"].rune
    ours = rune_web("run", rune, "--sound", long, "--hop-ms", "250")
    theirs = run_tool("rune", "run", rune, "--sound", long, "--hop-ms", "250", cwd=REPO)
    assert theirs.returncode == 0 and ours.returncode == 0, ours.explain() + theirs.explain()
    assert ours.stdout == theirs.stdout
    assert len(ours.stdout.splitlines()) == 7 and '"up"' in ours.stdout and '"down"' in ours.stdout


def _one_error(result: Result, status: int = 1) -> str:
    assert result.returncode == status, result.explain()
    assert result.stdout == "", result.explain()
    (line,) = result.stderr.splitlines()
    assert line.startswith("rune-web: error: "), line
    return line.removeprefix("rune-web: error: ")


def test_bad_input_is_one_clear_error(cases: dict[str, webkit.Case], scratch: Path,
                                      web_built: None) -> None:  # fmt: skip
    sine = cases["run-pass/sine"]
    bad = webkit.bad_runes(sine.rune, scratch)
    truncated = scratch / "truncated.rune"
    truncated.write_bytes(sine.rune.read_bytes()[:1000])
    assert _one_error(rune_web("run", truncated, *sine.files)).startswith("truncated file: ")
    assert _one_error(rune_web("run", bad["wrongAbi"], *sine.files)) == (
        "unsupported rune ABI version 2: this runtime implements ABI version 1"
    )
    assert "unknown capability kind 'TEMPERATURE'" in _one_error(
        rune_web("run", bad["unknownCapability"], *sine.files)
    )
    assert _one_error(rune_web("run", sine.rune)) == (
        'Unable to load the "RAW" input for stage "rand": no input was given'
    )
    assert _one_error(rune_web("run", scratch / "nowhere.rune")).endswith(
        "nowhere.rune: No such file or directory"
    )
    assert "--frobnicate" in _one_error(rune_web("run", sine.rune, "--frobnicate"), status=2)
    started = time.monotonic()
    message = _one_error(rune_web("run", bad["forever"], "--timeout", "500ms"))
    assert message.startswith("the rune ran past its deadline of 500 ms while running")
    assert time.monotonic() - started < 20
