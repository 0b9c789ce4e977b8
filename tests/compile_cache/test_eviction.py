"""The compile cache's size cap: least recently used entries go first, a hit counts as a use,
and a crashed writer's temporary files do not stay (tools/cache_eviction.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rune.tools import cache_eviction, compile_cache

REPO = Path(__file__).resolve().parents[2]
SINE = REPO / "examples" / "sine" / "Runefile.yml"


def _entry(path: Path, size: int, age: float) -> Path:
    """A real entry of `size` payload bytes, last used `age` seconds ago."""
    assert compile_cache.write_verified(path, bytes(size))
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def _sizes(cache: Path) -> int:
    return sum(p.stat().st_size for p in cache.rglob("*.bin"))


def test_the_least_recently_used_go_first_across_all_folders(tmp_path: Path):
    old = _entry(tmp_path / "old.bin", 1000, 40)
    code = _entry(tmp_path / "code" / "object.bin", 1000, 35)
    unit = _entry(tmp_path / "kernels" / "unit.bin", 1000, 30)
    newer = _entry(tmp_path / "newer.bin", 1000, 20)
    assert compile_cache.read_verified(unit) == bytes(1000)  # a hit: now the most recent
    newest = _entry(tmp_path / "newest.bin", 1000, 10)
    entry_size = old.stat().st_size
    removed = cache_eviction.evict(tmp_path, limit=2 * entry_size)
    assert removed == [old, code, newer]
    assert sorted(tmp_path.rglob("*.bin")) == sorted([unit, newest])
    assert cache_eviction.evict(tmp_path, limit=2 * entry_size) == []  # under the cap: no-op
    assert cache_eviction.evict(tmp_path, limit=0) == [newest, unit]


def test_stale_temporary_files_go_and_fresh_ones_stay(tmp_path: Path):
    stale = _entry(tmp_path / ".tmp-crashed.bin", 10, 2 * cache_eviction.STALE_TEMP_SECONDS)
    fresh = _entry(tmp_path / "kernels" / ".tmp-writing.bin", 10, 1)
    kept = _entry(tmp_path / "kept.bin", 10, 5000)
    assert cache_eviction.evict(tmp_path, limit=10**9) == [stale]
    assert fresh.exists() and kept.exists()


def test_only_entry_files_count_and_go(tmp_path: Path):
    """Symbolic links, folders and other files in the cache are neither counted nor removed,
    nor is anything a link points to."""
    outside = tmp_path / "outside.bin"
    outside.write_bytes(bytes(5000))
    cache = tmp_path / "cache"
    entry = _entry(cache / "entry.bin", 10, 50)
    (cache / "link.bin").symlink_to(outside)
    (cache / "folder.bin").mkdir()
    (cache / "notes.txt").write_bytes(bytes(5000))
    assert cache_eviction.evict(cache, limit=entry.stat().st_size) == []
    assert cache_eviction.evict(cache, limit=0) == [entry]
    assert outside.stat().st_size == 5000 and (cache / "link.bin").is_symlink()
    assert (cache / "folder.bin").is_dir() and (cache / "notes.txt").exists()


def test_a_missing_cache_directory_is_nothing_to_do(tmp_path: Path):
    assert cache_eviction.evict(tmp_path / "absent", limit=0) == []
    assert cache_eviction.evict(None, limit=0) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("300", 300), ("64K", 64 * 1024), ("2m", 2 * 1024**2), ("1GB", 1024**3),
    ("", cache_eviction.DEFAULT_LIMIT), ("lots", cache_eviction.DEFAULT_LIMIT),
    ("-5", cache_eviction.DEFAULT_LIMIT), ("1.5G", cache_eviction.DEFAULT_LIMIT),
])
def test_the_cap_comes_from_the_environment(monkeypatch, text: str, expected: int):
    monkeypatch.setenv(cache_eviction.LIMIT_ENV, text)
    assert cache_eviction.limit_from_env() == expected


def _runec(out: Path, cache: Path, limit: int | None, *flags: str) -> None:
    env = {**os.environ, compile_cache.ENV: str(cache)}
    if limit is not None:
        env[cache_eviction.LIMIT_ENV] = str(limit)
    subprocess.run([sys.executable, "-m", "rune.tools.runec", str(SINE), "-o", str(out), *flags],
                   env=env, check=True, capture_output=True)


def test_runec_keeps_the_cache_under_its_cap(tmp_path: Path):
    """-O2 then -O1 (they share the kernel unit) under a cap that holds the first compile's
    entries and half a rune more (the -O1 rune is a few bytes larger): the -O2 rune goes, the
    kernel unit the -O1 compile reused stays, though it was written first, and the cache is back
    under its cap."""
    cache = tmp_path / "cache"
    _runec(tmp_path / "o2.rune", cache, None, "-O2")
    (o2_entry,) = cache.glob("*.bin")
    (unit,) = (cache / "kernels").glob("*.bin")
    cap = _sizes(cache) + o2_entry.stat().st_size // 2
    _runec(tmp_path / "o1.rune", cache, cap, "-O1")
    (o1_entry,) = cache.glob("*.bin")
    assert o1_entry != o2_entry and not o2_entry.exists() and unit.exists()
    assert _sizes(cache) <= cap
