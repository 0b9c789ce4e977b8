"""Telemetry that loses nothing: every event is written to an on-disk queue before anything
else, sent in batches by a background thread, and deleted only once the server has
acknowledged it (after its commit). A failed send is retried with exponential backoff and full
jitter. Each event carries a random id, so a batch re-sent after a lost acknowledgement is
de-duplicated by the server instead of counted twice.
"""

from __future__ import annotations

import json
import platform
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ForgeError, ForgeHTTPError

Sender = Callable[[list[dict[str, Any]]], None]


class TelemetryQueue:
    """A crash-safe FIFO of JSON events in SQLite (WAL, fsync on commit), shareable by threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS queue "
                         "(seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")

    def put(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("INSERT INTO queue (body) VALUES (?)", (json.dumps(event),))

    def peek(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT seq, body FROM queue ORDER BY seq LIMIT ?",
                                    (limit,)).fetchall()
        return [(seq, json.loads(body)) for seq, body in rows]

    def ack(self, last_seq: int) -> None:
        """Drop everything up to `last_seq` (the batch the server acknowledged)."""
        with self._lock:
            self._db.execute("DELETE FROM queue WHERE seq <= ?", (last_seq,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM queue").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def device_metadata() -> dict[str, str]:
    try:
        from importlib.metadata import version
        runtime = version("rune-compiler")
    except Exception:  # not installed as a distribution: report nothing rather than guess
        runtime = ""
    return {"os": platform.system()[:100], "arch": platform.machine()[:100],
            "python": platform.python_version(), "runtime": runtime[:100]}


class Telemetry:
    """Records events into `queue`; a background thread sends them through `send`."""

    def __init__(self, queue: TelemetryQueue, send: Sender, device_id: str, *,
                 flush_seconds: float = 5.0, batch_size: int = 500,
                 backoff_base: float = 0.5, backoff_max: float = 60.0,
                 start: bool = True) -> None:
        self.queue, self._send, self.device_id = queue, send, device_id
        self.flush_seconds, self.batch_size = flush_seconds, batch_size
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.device = device_metadata()
        self.recorded = 0
        self.failures = 0  # consecutive failed sends (drives the backoff)
        self.failed_sends = 0  # all failed sends, for the device's own diagnostics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if start:
            self._thread = threading.Thread(target=self._loop, name="forge-telemetry",
                                            daemon=True)
            self._thread.start()

    def record(self, kind: str, **fields: Any) -> str:
        """Queue one event (durably, before returning); returns its id."""
        event_id = uuid.uuid4().hex
        event = {"id": event_id, "device_id": self.device_id, "kind": kind, "ts": time.time(),
                 "device": self.device}
        event.update({k: v for k, v in fields.items() if v is not None})
        self.queue.put(event)
        self.recorded += 1
        return event_id

    def flush_once(self) -> int:
        """Send one batch now; returns how many were acknowledged. Raises ForgeError."""
        with self._send_lock:
            batch = self.queue.peek(self.batch_size)
            if not batch:
                return 0
            self._send([event for _, event in batch])
            self.queue.ack(batch[-1][0])
            return len(batch)

    def flush(self, timeout: float = 10.0) -> bool:
        """Try to empty the queue within `timeout` seconds; True if it is empty."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.flush_once() == 0:
                    return True
            except ForgeError:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        return len(self.queue) == 0

    def backoff(self) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^failures)]."""
        cap = min(self.backoff_max, self.backoff_base * 2 ** min(self.failures, 30))
        return random.uniform(0, cap)

    def _loop(self) -> None:
        while not self._stop.is_set():
            failures = self.failures
            try:
                sent = self.flush_once()
                self.failures = 0
                delay = 0.0 if sent == self.batch_size else self.flush_seconds
            except ForgeHTTPError as exc:
                self.failures += 1
                # a 4xx other than 408/429 will not get better by itself, but the events are
                # kept: they go out once the key or server is fixed
                delay = self.backoff() if exc.status >= 500 or exc.status in (408, 429) \
                    else self.backoff_max
            except ForgeError:
                self.failures += 1
                delay = self.backoff()
            except Exception:  # never let telemetry kill the application
                self.failures += 1
                delay = self.backoff()
            self.failed_sends += self.failures > failures
            if delay:
                self._wake.wait(delay)
                self._wake.clear()

    def close(self, flush_timeout: float = 5.0) -> None:
        """Stop the sender after one last attempt to empty the queue (what is left stays on
        disk and goes out on the next start)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if flush_timeout > 0:
            self.flush(flush_timeout)
        self.queue.close()
