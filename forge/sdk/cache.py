"""The device's cache of verified runes: blobs by sha256, and what each reference last
resolved to. Files are written to a temporary name and renamed, so a crash leaves either the
old or the new file, never half of one."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

_SAFE_REF = re.compile(r"[A-Za-z0-9_.-]{1,100}")


@dataclass(frozen=True)
class CachedRef:
    sha256: str
    signature: str
    version: int
    channel: str | None


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary name and rename: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RuneCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _ref_path(self, ref: str) -> Path:
        if not _SAFE_REF.fullmatch(ref) or ref.startswith("."):
            raise ValueError(f"invalid rune reference {ref!r}")
        return self.root / "refs" / f"{ref}.json"

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / f"{sha256}.rune"

    def get_ref(self, ref: str) -> CachedRef | None:
        try:
            return CachedRef(**json.loads(self._ref_path(ref).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def put(self, ref: str, entry: CachedRef, data: bytes | None) -> None:
        """Store the blob (if given) before the reference that names it."""
        if data is not None:
            atomic_write(self.blob_path(entry.sha256), data)
        atomic_write(self._ref_path(ref), json.dumps(asdict(entry)).encode())

    def get_blob(self, sha256: str) -> bytes | None:
        try:
            return self.blob_path(sha256).read_bytes()
        except OSError:
            return None
