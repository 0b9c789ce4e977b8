"""Telemetry ingestion (batched, idempotent) and the queries the studio charts."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from conftest import Deployment
from forgekit import free_port
from rune.forge.sdk import ForgeUnavailable, Telemetry, TelemetryQueue

SHA_A, SHA_B = "a" * 64, "b" * 64


def _event(kind: str, device: str, ms: float | None, sha: str, ts: float, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"id": uuid.uuid4().hex, "device_id": device, "kind": kind, "ts": ts,
            "channel": "production", "version_sha256": sha, "total_ms": ms, **extra}


@pytest.fixture(scope="module")
def telemetry(forge: Deployment) -> dict:
    admin, _ = forge.project("metrics")
    key = admin.post("/v1/projects/metrics/keys", json={"scopes": ["telemetry"]}).json()["key"]
    return {"admin": admin, "device": forge.api(key)}


def test_ingest_is_idempotent_and_queries_give_exact_percentiles(telemetry: dict) -> None:
    admin, device = telemetry["admin"], telemetry["device"]
    now = time.time()
    values = [float(v) for v in range(1, 101)]
    events = [_event("inference", f"dev{i % 4}", v, SHA_A, now - 30, stages={"model:m": v / 2})
              for i, v in enumerate(values)]
    events += [_event("inference", "dev9", 1000.0, SHA_B, now - 30),
               _event("error", "dev9", None, SHA_B, now - 30, error="run: trapped"),
               _event("inference", "dev0", 5000.0, SHA_A, now - 7200)]  # outside the window
    url = "/v1/projects/metrics/telemetry"
    first = device.post(url, json={"events": events})
    assert first.json() == {"received": 103, "stored": 103}
    again = device.post(url, json={"events": events[:50] + events[:50]})  # re-sent, twice over
    assert again.json() == {"received": 100, "stored": 0}

    latency = admin.get(f"{url}/latency", params={"window": 3600, "bucket": 600,
                                                  "version": SHA_A}).json()
    expected = np.percentile(values, [50, 95, 99])
    overall = latency["overall"]
    assert overall["count"] == 100
    assert [overall["p50"], overall["p95"], overall["p99"]] == pytest.approx(expected)
    assert sum(b["count"] for b in latency["buckets"]) == 100
    stage = admin.get(f"{url}/latency", params={"stage": "model:m", "version": SHA_A}).json()
    assert stage["overall"]["p50"] == pytest.approx(expected[0] / 2)
    summary = admin.get(f"{url}/summary", params={"window": 3600}).json()
    assert (summary["events"], summary["inferences"], summary["errors"]) == (102, 101, 1)
    assert summary["active_devices"] == 5 and summary["error_rate"] == pytest.approx(1 / 102)
    by_version = {v["version_sha256"]: v for v in summary["by_version"]}
    assert by_version[SHA_B]["error_rate"] == 0.5 and by_version[SHA_B]["active_devices"] == 1
    assert summary["stages"] == ["model:m"]
    # Only the telemetry scope: a device key cannot read the figures.
    assert device.get(f"{url}/summary").status_code == 403
    bad = device.post(url, json={"events": [{**events[0], "total_ms": -1}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "total_ms"


def test_sdk_queue_survives_an_outage_and_sends_each_event_once(forge: Deployment,
                                                               telemetry: dict,
                                                               tmp_path: Path) -> None:
    """Events recorded while the server is unreachable wait on disk (even across a restart of
    the device), then go out with backoff; a re-sent batch is not counted twice."""
    key = telemetry["device"].http.headers["Authorization"].split()[1]
    from rune.forge.sdk import http

    def sender(url: str):  # type: ignore[no-untyped-def]
        return lambda events: http.request("POST", f"{url}/v1/projects/metrics/telemetry", key,
                                           json_body={"events": events}, timeout=5)

    dead = f"http://127.0.0.1:{free_port()}"
    queue = TelemetryQueue(tmp_path / "queue.db")
    offline = Telemetry(queue, sender(dead), "outage-device", flush_seconds=0.05,
                        backoff_base=0.01, backoff_max=0.05)
    ids = [offline.record("inference", total_ms=1.0, version_sha256=SHA_A) for _ in range(30)]
    time.sleep(0.3)
    assert offline.failures > 0 and len(queue) == 30
    with pytest.raises(ForgeUnavailable):
        offline.flush_once()
    offline.close(flush_timeout=0)  # the device stops with everything still queued
    # The device starts again and the server is back.
    queue = TelemetryQueue(tmp_path / "queue.db")
    assert len(queue) == 30
    # The first batch reached the server but its acknowledgement was lost: sent again below.
    sender(forge.server.url)([e for _, e in queue.peek(10)])
    online = Telemetry(queue, sender(forge.server.url), "outage-device", flush_seconds=0.05)
    assert online.flush(10) and len(queue) == 0
    online.close()
    summary = telemetry["admin"].get("/v1/projects/metrics/telemetry/summary").json()
    mine = {v["channel"]: v["events"] for v in summary["by_version"]
            if v["version_sha256"] == SHA_A}
    assert mine == {"production": 100, None: 30}  # the earlier test's; these 30, once each
    assert len(set(ids)) == 30
