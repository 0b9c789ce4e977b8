"""Fixtures: a fresh `forge serve` per test module on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from forgekit import (  # noqa: E402
    PG_DEPS_HINT,
    Api,
    ForgeServer,
    ForgeWorker,
    PostgresCluster,
)

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One cluster for the session; each server gets a database of its own."""
    try:
        cluster = PostgresCluster()
    except FileNotFoundError:
        pytest.fail(PG_DEPS_HINT)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@dataclass
class Deployment:
    server: ForgeServer
    database_url: str | None
    data: Path

    @property
    def root(self) -> Api:
        return Api(self.server.url, self.server.server_key)

    def api(self, key: str | None) -> Api:
        return Api(self.server.url, key)

    def project(self, name: str) -> tuple[Api, dict]:
        """A new project; its admin API and the creation response."""
        response = self.root.post("/v1/projects", json={"name": name})
        assert response.status_code == 201, response.text
        made = response.json()
        return self.api(made["admin_key"]["key"]), made


def _data_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="forge-data-"))


@pytest.fixture(scope="module", params=BACKENDS)
def forge(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """A running server with a fresh data folder (and database) on each backend."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").new_database()
    data = _data_dir()
    server = ForgeServer(data, url)
    try:
        server.start()
        yield Deployment(server, url, data)
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def worker(forge: Deployment) -> Iterator[ForgeWorker]:
    process = ForgeWorker(forge.data, forge.database_url).start()
    try:
        yield process
    finally:
        process.stop()
