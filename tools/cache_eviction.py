"""Keep the compile cache under a size cap by removing the entries used least recently.

The three caches (whole outputs in the cache directory, kernel units in its `kernels/` folder,
pipeline objects in its `code/` folder) share one cap: `$RUNE_COMPILE_CACHE_LIMIT` bytes (a
number, optionally with K, M or G; default 512M).
A hit touches its entry's modification time (`touch`), so that time is the entry's last use;
after a compile that wrote entries, `evict` removes the oldest until the total is at most the cap
(ties: by name, so two processes evict in the same order). Temporary files that a crashed writer
left behind (`.tmp-*`) are removed once they are an hour old. Everything here is best-effort: a
file that another process removed first, or that cannot be removed, is skipped.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

LIMIT_ENV = "RUNE_COMPILE_CACHE_LIMIT"
DEFAULT_LIMIT = 512 * 1024 * 1024
STALE_TEMP_SECONDS = 3600.0
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_FOLDERS = ("", "kernels", "code")  # compile_cache.py's, kernel_cache.py's, code_cache.py's


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    used: float  # modification time: written or last hit


def limit_from_env() -> int:
    """The cap in bytes; a value that is not a size falls back to the default."""
    text = os.environ.get(LIMIT_ENV, "").strip().upper().removesuffix("B")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    number = text[: len(text) - len(unit)]
    return int(number) * _UNITS[unit] if number.isdigit() else DEFAULT_LIMIT


def touch(path: Path) -> None:
    """Mark the entry at `path` as used now."""
    try:
        os.utime(path)
    except OSError:
        pass


def evict(cache_dir: Path | None, limit: int | None = None) -> list[Path]:
    """Remove least recently used entries until the cache holds at most `limit` bytes (default:
    `limit_from_env()`); the paths removed, oldest first."""
    if cache_dir is None:
        return []
    limit = limit_from_env() if limit is None else limit
    entries, removed = [], []
    now = time.time()
    for folder in _FOLDERS:
        for entry in _scan(cache_dir / folder):
            if entry.path.name.startswith(".tmp-"):
                if now - entry.used > STALE_TEMP_SECONDS and _remove(entry.path):
                    removed.append(entry.path)
            else:
                entries.append(entry)
    total = sum(e.size for e in entries)
    for entry in sorted(entries, key=lambda e: (e.used, e.path.name)):
        if total <= limit:
            break
        if _remove(entry.path):
            removed.append(entry.path)
        total -= entry.size
    return removed


def _scan(folder: Path) -> list[_Entry]:
    """The `.bin` files directly in `folder` (not symbolic links, not folders)."""
    entries = []
    try:
        with os.scandir(folder) as found:
            for file in found:
                if file.name.endswith(".bin") and file.is_file(follow_symlinks=False):
                    info = file.stat(follow_symlinks=False)
                    entries.append(_Entry(Path(file.path), info.st_size, info.st_mtime))
    except OSError:  # no such folder, or a file removed while we looked
        pass
    return entries


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True
