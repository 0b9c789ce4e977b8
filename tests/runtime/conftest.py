"""Shared fixtures for the runtime tests; rune builders live in runekit.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write bytes to a file under tmp_path and return its path."""

    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture(autouse=True, scope="session")
def _module_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled modules go to a temporary cache, never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNE_CACHE_DIR", str(tmp_path_factory.mktemp("module-cache")))
        yield
