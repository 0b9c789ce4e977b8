"""Fixtures for the studio's browser tests: a fresh `forge serve` (SQLite) and `forge worker`
on loopback, a project with its admin key, and the built studio (`make studio`)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "forge"))

from forgekit import REPO, Api, ForgeServer, ForgeWorker  # noqa: E402

STUDIO = REPO / "studio"


@dataclass
class StudioServer:
    server: ForgeServer
    project: str
    admin_key: str
    public_key: str
    data: Path


@pytest.fixture(scope="module")
def studio_server() -> Iterator[StudioServer]:
    if not (STUDIO / "dist" / "index.html").is_file() or not (
            STUDIO / "dist" / "runtime" / "browser.mjs").is_file():
        pytest.fail("the studio is not built: run `make studio`")
    if not (STUDIO / "node_modules" / "playwright-core").is_dir():
        pytest.fail("the studio's npm packages are not installed: run `make studio`")
    data = Path(tempfile.mkdtemp(prefix="studio-test-"))
    server = ForgeServer(data)
    worker = ForgeWorker(data)
    try:
        server.start()
        worker.start()
        made = Api(server.url, server.server_key).post("/v1/projects", json={"name": "speech"})
        assert made.status_code == 201, made.text
        body = made.json()
        yield StudioServer(server, "speech", body["admin_key"]["key"], body["public_key"], data)
    finally:
        worker.stop()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
