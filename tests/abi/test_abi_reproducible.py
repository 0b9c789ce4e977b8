"""Runes stay byte-identical: the manifest a compile writes is pinned per example (so a change
to the codec, the field set or their encoding shows up here, not on a device), and the whole
rune does not depend on Python's hash seed (set and dict order)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rune.abi.container import MANIFEST_SECTION, wasm_sections_of
from rune.abi.manifest import decode_json, encode

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
RUNEC = Path(sys.executable).with_name("runec")


def _compile(example: str, out: Path, seed: str = "0") -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [str(RUNEC), str(ROOT / "examples" / example / "Runefile.yml"), "-O2", "-o", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


@pytest.mark.parametrize("example", ["sine", "custom_block"])
def test_manifest_is_pinned(example: str, tmp_path: Path) -> None:
    """Regenerate a golden file only for an intended change of the manifest (docs/abi.md)."""
    data = _compile(example, tmp_path / "x.rune")
    (section,) = [s for s in wasm_sections_of(data) if s.name == MANIFEST_SECTION]
    written = data[section.content_start : section.end]
    golden = (GOLDEN / f"{example}.manifest.json").read_bytes()  # the checkout's path as @ROOT@
    assert written + b"\n" == golden.replace(b"@ROOT@", str(ROOT).encode())
    assert encode(decode_json(written)) == written  # the codec reads back what it wrote


def test_rune_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    first = _compile("custom_block", tmp_path / "a.rune", seed="1")
    second = _compile("custom_block", tmp_path / "b.rune", seed="4242")
    assert first == second
