"""Telemetry: batched, idempotent ingestion and the queries the studio charts."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import Select, select

from ..deps import DeployAuth, ScopedRoute, SessionDep, TelemetryAuth
from ..models import TelemetryEvent, TelemetryTiming
from ..problems import ProblemError
from ..schemas import EventBatch, IngestResult, LatencyBucket, LatencyOut, SummaryOut, VersionStats

router = APIRouter(prefix="/v1/projects/{project}/telemetry", tags=["telemetry"],
                   route_class=ScopedRoute)
Window = Annotated[float, Query(gt=0, le=366 * 86400, description="seconds back from now")]
MAX_BUCKETS = 1000
MAX_ROWS = 1_000_000


@router.post("", response_model=IngestResult)
def ingest(project: str, auth: TelemetryAuth, batch: EventBatch,
           request: Request) -> IngestResult:
    """Store a batch. Events already stored (same id) are skipped, so a device may re-send a
    batch whose acknowledgement it never saw. The response comes after the commit (shared
    with concurrent requests, see `ingest.py`): an acknowledged event is durable."""
    assert auth.project is not None
    pid, now = auth.project.id, time.time()
    events = [{"project_id": pid, "event_id": e.id, "device_id": e.device_id, "kind": e.kind,
               "ts": e.ts, "received_at": now, "channel": e.channel,
               "version_sha256": e.version_sha256, "total_ms": e.total_ms, "error": e.error,
               "device": e.device.model_dump()} for e in batch.events]
    timings = [{"project_id": pid, "event_id": e.id, "stage": stage, "ms": ms}
               for e in batch.events for stage, ms in e.stages.items()]
    stored = request.app.state.ingest.submit(events, timings).result(timeout=120)
    return IngestResult(received=len(batch.events), stored=stored)


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (NumPy's default)."""
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def _bucket(start: float, values: list[float]) -> LatencyBucket:
    values.sort()
    return LatencyBucket(start=start, count=len(values), p50=percentile(values, 50),
                         p95=percentile(values, 95), p99=percentile(values, 99))


def _filtered(query: Select, since: float, channel: str | None, version: str | None) -> Select:
    query = query.where(TelemetryEvent.ts >= since)
    if channel is not None:
        query = query.where(TelemetryEvent.channel == channel)
    if version is not None:
        query = query.where(TelemetryEvent.version_sha256 == version)
    return query


@router.get("/latency", response_model=LatencyOut)
def latency(project: str, auth: DeployAuth, session: SessionDep, window: Window = 3600.0,
            bucket: Annotated[float, Query(gt=0, le=366 * 86400)] = 60.0,
            stage: Annotated[str, Query(pattern=r"^[^\x00]{1,100}$")] = "total",
            channel: Annotated[str | None, Query(pattern=r"^[^\x00]{1,64}$")] = None,
            version: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None) -> LatencyOut:
    """Inference latency (ms) percentiles per time bucket: `stage` is `total` or a stage name
    (e.g. `model:model`); filter by channel (deployment) and/or version."""
    assert auth.project is not None
    if window / bucket > MAX_BUCKETS:
        raise ProblemError(422, f"window/bucket gives more than {MAX_BUCKETS} buckets")
    now = time.time()
    since = now - window
    if stage == "total":
        query = select(TelemetryEvent.ts, TelemetryEvent.total_ms).where(
            TelemetryEvent.total_ms.is_not(None))
    else:
        query = select(TelemetryEvent.ts, TelemetryTiming.ms).join(
            TelemetryTiming, (TelemetryTiming.project_id == TelemetryEvent.project_id)
            & (TelemetryTiming.event_id == TelemetryEvent.event_id)).where(
            TelemetryTiming.stage == stage)
    query = _filtered(query.where(TelemetryEvent.project_id == auth.project.id,
                                  TelemetryEvent.kind == "inference"), since, channel, version)
    buckets: dict[int, list[float]] = defaultdict(list)
    everything: list[float] = []
    for ts, ms in session.execute(query.limit(MAX_ROWS)):
        buckets[int((ts - since) // bucket)].append(ms)
        everything.append(ms)
    return LatencyOut(stage=stage, window_s=window, bucket_s=bucket,
                      overall=_bucket(since, everything),
                      buckets=[_bucket(since + i * bucket, v) for i, v in sorted(buckets.items())])


@router.get("/summary", response_model=SummaryOut)
def summary(project: str, auth: DeployAuth, session: SessionDep, window: Window = 3600.0,
            channel: Annotated[str | None, Query(pattern=r"^[^\x00]{1,64}$")] = None,
            version: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None) -> SummaryOut:
    """Events, inferences, errors, error rate and active devices, overall and per version."""
    assert auth.project is not None
    since = time.time() - window
    query = _filtered(select(TelemetryEvent.version_sha256, TelemetryEvent.channel,
                             TelemetryEvent.kind, TelemetryEvent.device_id)
                      .where(TelemetryEvent.project_id == auth.project.id), since, channel, version)
    groups: dict[tuple[str | None, str | None], list[tuple[str, str]]] = defaultdict(list)
    for v, c, kind, device in session.execute(query.limit(MAX_ROWS)):
        groups[(v, c)].append((kind, device))
    stages = session.scalars(
        select(TelemetryTiming.stage).join(
            TelemetryEvent, (TelemetryTiming.project_id == TelemetryEvent.project_id)
            & (TelemetryTiming.event_id == TelemetryEvent.event_id))
        .where(TelemetryEvent.project_id == auth.project.id, TelemetryEvent.ts >= since)
        .distinct().order_by(TelemetryTiming.stage).limit(200)).all()
    by_version = [_stats(v, c, rows) for (v, c), rows in sorted(groups.items(), key=str)]
    overall = _stats(None, None, [r for rows in groups.values() for r in rows])
    return SummaryOut(window_s=window, events=overall.events, inferences=overall.inferences,
                      errors=overall.errors, error_rate=overall.error_rate,
                      active_devices=overall.active_devices, by_version=by_version,
                      stages=list(stages))


def _stats(version: str | None, channel: str | None, rows: list[tuple[str, str]]) -> VersionStats:
    inferences = sum(1 for kind, _ in rows if kind == "inference")
    errors = sum(1 for kind, _ in rows if kind == "error")
    runs = inferences + errors
    return VersionStats(version_sha256=version, channel=channel, events=len(rows),
                        inferences=inferences, errors=errors,
                        error_rate=errors / runs if runs else 0.0,
                        active_devices=len({d for _, d in rows}))
