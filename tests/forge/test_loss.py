"""Telemetry that loses nothing: 200 simulated devices send through the SDK for 60 s while a
server is killed and restarted and the network is cut; at the end the events stored are
exactly the events recorded, none twice.

Long (about 2-3 minutes per database): marked `loss`, which `make test` deselects; it runs on
its own by `make test-forge-loss`, which CI (`.ci/run`) runs after `make test`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import Deployment
from forgekit import ForgeServer
from proxy import Proxy
from sqlalchemy import create_engine, text

DEVICES, PROCESSES, DURATION = 200, 4, 60.0
SCRIPT = Path(__file__).parent / "loss_devices.py"


def _run(deployment_servers: list[ForgeServer], url: str | None, data: Path,
         tmp: Path, backend: str) -> None:
    first = deployment_servers[0]
    root = Deployment(first, url, data).root
    made = root.post("/v1/projects", json={"name": "loss"}).json()
    admin = Deployment(first, url, data).api(made["admin_key"]["key"])
    key = admin.post("/v1/projects/loss/keys", json={"scopes": ["telemetry"]}).json()["key"]
    proxy = Proxy([s.port for s in deployment_servers])
    per = DEVICES // PROCESSES
    outs = [tmp / f"devices-{i}" / "result.json" for i in range(PROCESSES)]
    processes = []
    try:
        for i, out in enumerate(outs):
            out.parent.mkdir()
            processes.append(subprocess.Popen(
                [sys.executable, str(SCRIPT), "--url", proxy.url, "--key", key, "--project",
                 "loss", "--public-key", made["public_key"], "--out", str(out), "--first",
                 str(i * per), "--devices", str(per), "--duration", str(DURATION)]))
        victim = deployment_servers[-1]
        time.sleep(15)
        victim.kill()  # SIGKILL mid-stream: in-flight batches die with it
        time.sleep(10)
        victim.start()
        time.sleep(8)
        proxy.cut()  # the network goes away for a while
        time.sleep(12)
        proxy.restore()
        for process in processes:
            assert process.wait(timeout=DURATION + 300) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        proxy.close()
    results = [r for out in outs for r in json.loads(out.read_text()).values()]
    recorded = [event for r in results for event in r["ids"]]
    assert len(results) == DEVICES
    assert all(r["empty"] and r["left"] == 0 for r in results)
    assert sum(r["failures"] > 0 for r in results) > DEVICES / 2  # the outages were felt
    assert proxy.refused > 0
    engine = create_engine(url or f"sqlite:///{data / 'forge.db'}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT event_id FROM telemetry_events")).scalars().all()
        timings = conn.execute(text("SELECT count(*) FROM telemetry_timings")).scalar_one()
    engine.dispose()
    assert len(recorded) > DEVICES * DURATION * 0.5  # about one event per device-second
    assert len(stored) == len(set(stored))
    assert sorted(stored) == sorted(recorded), (len(stored), len(recorded))
    assert timings == 2 * len(recorded)
    print(f"{backend}: {len(recorded)} events recorded, {len(stored)} stored")


@pytest.mark.loss
def test_no_event_lost_or_doubled_postgres(postgres) -> None:  # type: ignore[no-untyped-def]
    url = postgres.new_database()
    data = Path(tempfile.mkdtemp(prefix="forge-loss-"))
    servers = [ForgeServer(data, url), ForgeServer(data, url)]
    try:
        for server in servers:
            server.start()
        _run(servers, url, data, data, "postgres")
    finally:
        for server in servers:
            server.stop()


@pytest.mark.loss
def test_no_event_lost_or_doubled_sqlite() -> None:
    data = Path(tempfile.mkdtemp(prefix="forge-loss-"))
    server = ForgeServer(data)
    try:
        server.start()
        _run([server], None, data, data, "sqlite")
    finally:
        server.stop()
