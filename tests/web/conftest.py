"""Session fixtures of tests/web: the package built once, every case compiled and recorded once
by the Python host, then run once in Node and once in Chromium."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.peer.harness import Toolbox

from . import webkit


@pytest.fixture(scope="session")
def web_built() -> None:
    webkit.build_web()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="session")
def cases(tools: Toolbox, scratch: Path) -> dict[str, webkit.Case]:
    listed = webkit.peer_cases() + webkit.example_cases(scratch) + webkit.generated_cases(scratch)
    webkit.prepare(listed, tools, scratch)
    return {c.id: c for c in listed}


@pytest.fixture(scope="session")
def node_results(web_built: None, cases: dict[str, webkit.Case], scratch: Path) -> dict[str, Any]:
    out = scratch / "node-results.json"
    subprocess.run(["node", str(webkit.NODE_CASES), str(scratch / "cases.json"), str(out)],
                   check=True, timeout=900)  # fmt: skip
    return {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))}


@pytest.fixture(scope="session")
def browser_results(
    web_built: None, cases: dict[str, webkit.Case], scratch: Path
) -> dict[str, Any]:
    return webkit.run_browser(scratch, cases, webkit.WEB / "screenshots" / "demo.png")
