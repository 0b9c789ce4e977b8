"""The build queue: concurrent workers never take the same build (SKIP LOCKED on PostgreSQL,
an atomic UPDATE ... RETURNING on SQLite), and every queued build is taken."""

from __future__ import annotations

import threading

from conftest import Deployment
from rune.forge.server import sealing
from rune.forge.server.config import Settings
from rune.forge.server.worker import Worker

BUILDS, WORKERS = 30, 4


def test_concurrent_claims_are_exclusive(forge: Deployment) -> None:
    admin, _ = forge.project("queue")
    for i in range(BUILDS):
        made = admin.post("/v1/projects/queue/builds",
                          files=[("files", ("Runefile.yml", f"# {i}\n".encode()))])
        assert made.status_code == 202
    settings = Settings(data_dir=forge.data, database_url=forge.database_url)
    key = sealing.load(settings.sealing_key_path)  # made by the running server
    workers = [Worker(settings, key, name=f"w{i}") for i in range(WORKERS)]
    claimed: list[list[int]] = [[] for _ in workers]
    start = threading.Barrier(WORKERS)

    def take(i: int) -> None:
        start.wait()
        while (build := workers[i].claim()) is not None:
            claimed[i].append(build)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [b for taken in claimed for b in taken]
    assert len(everything) == len(set(everything)) == BUILDS
    builds = admin.get("/v1/projects/queue/builds").json()
    assert {b["status"] for b in builds} == {"running"}
    for worker in workers:
        worker.engine.dispose()
