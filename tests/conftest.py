"""Every suite: `runec` processes the tests start compile for real, never from the user's
compile cache (tests/compile_cache gives the cache a directory of its own)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.peer.harness import Toolbox

os.environ["RUNE_COMPILE_CACHE"] = "off"


@pytest.fixture(scope="session")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Toolbox]:
    """`runec` and `rune run`, each distinct command once per session. One toolbox for the
    session, because tests/peer and tests/web compile the same peer cases with the same flags:
    each is compiled (for real) once, and both suites check that one rune."""
    toolbox = Toolbox(tmp_path_factory.mktemp("peer-runes"))
    yield toolbox
    toolbox.close()
