"""The compile cache: a cold `runec` reuses what an earlier process compiled, byte for byte, and
never trusts a damaged entry. Every test uses its own cache directory ($RUNE_COMPILE_CACHE)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rune.frontend.parser import load_runefile
from rune.tools import compile_cache
from rune.tools.compile_cache import Request

REPO = Path(__file__).resolve().parents[2]
SINE = REPO / "examples" / "sine"
PEER_SINE = REPO.parent / "shared" / "peer-suite" / "hotg-rune" / "examples" / "sine"


def _runec(runefile: Path, out: Path, cache: str, *flags: str) -> str:
    """Compile in a fresh process; returns stderr (the --time-passes report)."""
    env = {**os.environ, compile_cache.ENV: cache}
    done = subprocess.run([sys.executable, "-m", "rune.tools.runec", str(runefile), "-o",
                           str(out), "--time-passes", *flags], env=env, capture_output=True,
                          text=True, check=True)
    return done.stderr


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.bin"))


def test_a_hit_is_byte_identical_and_skips_the_compiler(tmp_path: Path):
    cache = tmp_path / "cache"
    uncached = _runec(SINE / "Runefile.yml", tmp_path / "off.rune", "off")
    assert "llvm" in uncached and not list(tmp_path.glob("cache*"))
    first = _runec(SINE / "Runefile.yml", tmp_path / "first.rune", str(cache))
    assert "llvm" in first and len(_entries(cache)) == 1
    second = _runec(SINE / "Runefile.yml", tmp_path / "second.rune", str(cache))
    assert "compile cache" in second and "llvm" not in second and "passes" not in second
    off, one, two = ((tmp_path / f"{n}.rune").read_bytes() for n in ("off", "first", "second"))
    assert off == one == two
    # another request is another entry (-O1: never the default level, even under RUNE_OPT_LEVEL)
    _runec(SINE / "Runefile.yml", tmp_path / "o1.rune", str(cache), "-O1")
    assert len(_entries(cache)) == 2
    assert (tmp_path / "o1.rune").read_bytes() != one


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_a_damaged_entry_is_ignored_and_replaced(tmp_path: Path, damage: str):
    cache = tmp_path / "cache"
    _runec(SINE / "Runefile.yml", tmp_path / "good.rune", str(cache))
    (entry,) = _entries(cache)
    data = bytearray(entry.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40  # inside the wasm: the digest no longer matches
    elif damage == "truncate":
        del data[len(data) - 100:]
    elif damage == "empty":
        data.clear()
    else:
        data[:] = compile_cache.MAGIC + b"\0" * 32 + b"not a payload"
    entry.write_bytes(bytes(data))
    report = _runec(SINE / "Runefile.yml", tmp_path / "again.rune", str(cache))
    assert "llvm" in report  # compiled again, not read from the damaged entry
    assert (tmp_path / "again.rune").read_bytes() == (tmp_path / "good.rune").read_bytes()
    assert entry.read_bytes() != bytes(data)  # replaced by a good one
    assert compile_cache.load(cache, entry.stem) is not None


def _key(runefile: Path, emit: str = "rune") -> str | None:
    parsed, source = load_runefile(runefile)
    return compile_cache.cache_key(parsed, source.text.encode(),
                                   Request(emit, "wasm32", None, None, False))


def test_the_key_covers_every_file_the_runefile_names(tmp_path: Path):
    shutil.copy(SINE / "Runefile.yml", tmp_path / "Runefile.yml")
    text = (tmp_path / "Runefile.yml").read_text()
    model = tmp_path / "sinemodel.tflite"
    shutil.copy(PEER_SINE / "sinemodel.tflite", model)
    (tmp_path / "Runefile.yml").write_text(
        text.replace("../../../shared/peer-suite/hotg-rune/examples/sine/sinemodel.tflite",
                     "sinemodel.tflite"))
    before = _key(tmp_path / "Runefile.yml")
    assert before is not None and before == _key(tmp_path / "Runefile.yml")
    model.write_bytes(model.read_bytes() + b"\0")
    after_model = _key(tmp_path / "Runefile.yml")
    assert after_model != before
    (tmp_path / "Runefile.yml").write_text(
        (tmp_path / "Runefile.yml").read_text().replace("6.2831855", "3.1415927"))
    assert _key(tmp_path / "Runefile.yml") not in (before, after_model)
    assert _key(tmp_path / "Runefile.yml", emit="llvm") is None  # text stages are not cached


def test_a_custom_proc_block_is_never_cached():
    assert _key(REPO / "examples" / "custom_block" / "Runefile.yml") is None


def test_dumps_bypass_the_cache(tmp_path: Path):
    cache = tmp_path / "cache"
    report = _runec(SINE / "Runefile.yml", tmp_path / "a.rune", str(cache), "--verify-each")
    assert "llvm" in report and not _entries(cache)


def test_the_fingerprint_covers_every_installed_library(tmp_path: Path, monkeypatch):
    """Installing or upgrading a library (a new .dist-info folder on the path) changes every key."""
    before = compile_cache.compiler_fingerprint.__wrapped__()
    assert any(n.startswith("xdsl-") for n in compile_cache.installed_distributions())
    site = tmp_path / "site-packages"
    (site / "llvmlite-99.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    assert "llvmlite-99.0.dist-info" in compile_cache.installed_distributions()
    assert compile_cache.compiler_fingerprint.__wrapped__() != before


def test_the_fingerprint_covers_a_wasm_ld_on_path(tmp_path: Path, monkeypatch):
    """Without ziglang, runec links with the wasm-ld on PATH, which no .dist-info names:
    replacing that executable changes every key."""
    monkeypatch.setitem(sys.modules, "ziglang", None)  # `import ziglang` fails: PATH is used
    linker = tmp_path / "wasm-ld"
    linker.write_text("#!/bin/sh\nexit 1\n")
    linker.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    before = compile_cache.compiler_fingerprint.__wrapped__()
    assert compile_cache.compiler_fingerprint.__wrapped__() == before
    linker.write_text("#!/bin/sh\n# another version\nexit 1\n")
    assert compile_cache.compiler_fingerprint.__wrapped__() != before
    linker.unlink()
    assert compile_cache.compiler_fingerprint.__wrapped__() != before
