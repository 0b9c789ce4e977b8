"""Forge figures: a cached fetch (304), a cold fetch + verify + load of microspeech, and the
telemetry ingest rate on SQLite and PostgreSQL, against real `forge serve` processes on
loopback (the same harness as tests/forge).

Run: python benchmarks/bench_forge.py (part of `make bench`; needs `make pg-deps`).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "forge"))

from forgekit import Api, ForgeServer, ForgeWorker, PostgresCluster, wait_until  # noqa: E402
from rune.forge.sdk import Forge, http  # noqa: E402

EXAMPLE = REPO / "examples" / "microspeech"
FETCHES, COLD_LOADS = 200, 15
INGEST_SECONDS, SENDERS = 10.0, 8


def _project(server: ForgeServer, name: str) -> tuple[Api, dict]:
    made = Api(server.url, server.server_key).post("/v1/projects", json={"name": name}).json()
    return Api(server.url, made["admin_key"]["key"]), made


def _deploy(server: ForgeServer, data: Path) -> tuple[str, str]:
    admin, made = _project(server, "bench")
    worker = ForgeWorker(data).start()
    try:
        files = [("files", (p.name, p.read_bytes())) for p in sorted(EXAMPLE.iterdir())]
        build = admin.post("/v1/projects/bench/builds", files=files).json()
        url = f"/v1/projects/bench/builds/{build['id']}"
        wait_until(lambda: admin.get(url).json()["status"] == "succeeded", 300, "the build")
    finally:
        worker.stop()
    admin.put("/v1/projects/bench/channels/production", json={"version": 1})
    key = admin.post("/v1/projects/bench/keys", json={"scopes": ["fetch"]}).json()["key"]
    return key, made["public_key"]


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(0.95 * (len(values) - 1))]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def fetch_figures(server: ForgeServer, data: Path, tmp: Path) -> list[str]:
    key, public_key = _deploy(server, data)
    with Forge(server.url, key, "bench", public_key, cache_dir=tmp / "warm",
               telemetry=False) as client:
        client.fetch("production")
        cached = []
        for _ in range(FETCHES):
            start = time.perf_counter()
            artifact = client.fetch("production")
            cached.append(time.perf_counter() - start)
            assert artifact.source == "not-modified"
    fetch, load = [], []
    for i in range(COLD_LOADS):
        with Forge(server.url, key, "bench", public_key, cache_dir=tmp / f"cold{i}",
                   telemetry=False) as client:
            start = time.perf_counter()
            artifact = client.fetch("production")
            middle = time.perf_counter()
            client.load(artifact, cache_dir=None)  # no compiled-module cache either
            fetch.append(middle - start)
            load.append(time.perf_counter() - middle)
    total = [a + b for a, b in zip(fetch, load, strict=True)]
    size = len(artifact.data)
    return [f"| cached fetch (304, verify from disk cache) | {_ms(cached)} | {FETCHES} fetches |",
            f"| cold fetch + verify ({size} B rune) | {_ms(fetch)} | {COLD_LOADS} devices |",
            f"| cold load (wasm compile, no module cache) | {_ms(load)} | {COLD_LOADS} devices |",
            f"| cold fetch + verify + load | {_ms(total)} | {COLD_LOADS} devices |"]


def ingest_rate(server: ForgeServer, batch: int) -> float:
    """Events stored per second with SENDERS devices posting `batch`-event batches."""
    admin, _ = _project(server, f"ingest{batch}")
    key = admin.post(f"/v1/projects/ingest{batch}/keys",
                     json={"scopes": ["telemetry"]}).json()["key"]
    url = f"{server.url}/v1/projects/ingest{batch}/telemetry"
    stop = threading.Event()
    stored = [0] * SENDERS

    def sender(i: int) -> None:
        while not stop.is_set():
            events = [{"id": uuid.uuid4().hex, "device_id": f"d{i}", "kind": "inference",
                       "ts": time.time(), "total_ms": 12.5,
                       "stages": {"model:model": 10.0, "capability_read": 1.0}}
                      for _ in range(batch)]
            stored[i] += http.request("POST", url, key, json_body={"events": events}
                                      ).json()["stored"]

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(INGEST_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(stored) / (time.perf_counter() - start)


def main() -> int:
    rows = ["| Forge | figure | over |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sqlite"
        data.mkdir()
        server = ForgeServer(data).start()
        try:
            rows += fetch_figures(server, data, Path(tmp))
            for batch in (1, 100):
                rate = ingest_rate(server, batch)
                rows.append(f"| telemetry ingest, SQLite, {batch}-event batches | "
                            f"{rate:,.0f} events/s | {SENDERS} senders, {INGEST_SECONDS:g} s |")
        finally:
            server.stop()
        cluster = PostgresCluster().start()
        try:
            pg_data = Path(tmp) / "postgres"
            pg_data.mkdir()
            server = ForgeServer(pg_data, cluster.new_database()).start()
            try:
                for batch in (1, 100):
                    rate = ingest_rate(server, batch)
                    rows.append(f"| telemetry ingest, PostgreSQL, {batch}-event batches | "
                                f"{rate:,.0f} events/s | {SENDERS} senders, "
                                f"{INGEST_SECONDS:g} s |")
            finally:
                server.stop()
        finally:
            cluster.stop()
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
