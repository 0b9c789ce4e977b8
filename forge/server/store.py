"""Content-addressed blob store on the filesystem: `<root>/<ab>/<sha256>`.

Writes go to a temporary name and are renamed into place, so a reader never sees a partial
blob and concurrent writers of the same content are harmless.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rune.forge.sdk.cache import atomic_write

_HEX = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not _HEX.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        atomic_write(target, data)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
