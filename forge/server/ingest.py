"""Group commit for telemetry: concurrent ingest requests are written together.

Each request hands its rows to one writer thread per server process and waits. The writer
takes everything queued (up to `max_rows` events), inserts it in one transaction
(`INSERT ... ON CONFLICT DO NOTHING RETURNING`), commits once, and only then answers every
request it carried. So an acknowledged event is durable, a re-sent event is not stored twice,
and the cost of a commit (an fsync) is shared by every request that arrived meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

from .db import session_factory
from .models import TelemetryEvent, TelemetryTiming

log = logging.getLogger("rune.forge.ingest")
CHUNK = 1000  # rows per statement: under SQLite's bound-parameter limit


@dataclass
class Job:
    events: list[dict[str, Any]]
    timings: list[dict[str, Any]]
    done: Future[int] = field(default_factory=Future)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


class IngestWriter:
    def __init__(self, engine: Engine, max_rows: int = 20000) -> None:
        self.sessions = session_factory(engine)
        self.insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self.max_rows = max_rows
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="forge-ingest", daemon=True)
        self.thread.start()

    def submit(self, events: list[dict[str, Any]], timings: list[dict[str, Any]]) -> Future[int]:
        """Queue rows for the next commit; the future gives how many events were new."""
        job = Job(events, timings)
        self.jobs.put(job)
        return job.done

    def _take(self) -> list[Job]:
        jobs = [self.jobs.get()]
        rows = len(jobs[0].events)
        while rows < self.max_rows:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            jobs.append(job)
            rows += len(job.events)
        return jobs

    def _run(self) -> None:
        while True:
            jobs = self._take()
            try:
                stored = self._write(jobs)
            except Exception as exc:  # every request of the group fails; devices re-send
                log.exception("telemetry group commit failed")
                for job in jobs:
                    job.done.set_exception(exc)
                continue
            for job in jobs:  # each new event is credited to the first request that carried it
                keys = {(e["project_id"], e["event_id"]) for e in job.events}
                job.done.set_result(len(keys & stored))
                stored -= keys

    def _write(self, jobs: list[Job]) -> set[tuple[int, str]]:
        events: dict[tuple[int, str], dict[str, Any]] = {}
        for job in jobs:
            for event in job.events:
                events.setdefault((event["project_id"], event["event_id"]), event)
        stored: set[tuple[int, str]] = set()
        with self.sessions() as session, session.begin():
            # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" batches the rows
            # into few statements, compiled once (a .values(rows) statement is not cached)
            insert_events = (self.insert(TelemetryEvent).on_conflict_do_nothing()
                             .returning(TelemetryEvent.project_id, TelemetryEvent.event_id))
            for chunk in _chunks(list(events.values())):
                stored |= {(p, e) for p, e in session.execute(insert_events, chunk).all()}
            timings = [t for job in jobs for t in job.timings
                       if (t["project_id"], t["event_id"]) in stored]
            insert_timings = self.insert(TelemetryTiming).on_conflict_do_nothing()
            for chunk in _chunks(timings):
                session.execute(insert_timings, chunk)
        return stored
