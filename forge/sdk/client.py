"""`Forge`: fetch (with cache, ETag and offline fallback), verify, load, refresh, report."""

from __future__ import annotations

import os
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rune.runtime import Rune, read_rune

from . import http
from .cache import CachedRef, RuneCache
from .errors import ForgeError, ForgeHTTPError, ForgeUnavailable
from .telemetry import Telemetry, TelemetryQueue
from .verify import public_key_from_hex, verify

MAX_ERROR = 2000


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rune-forge"


@dataclass(frozen=True)
class Artifact:
    """A verified rune: its bytes and where they came from."""

    data: bytes
    sha256: str
    version: int
    channel: str | None
    source: str  # "network", "not-modified" (304) or "offline" (cache, server unreachable)


class Forge:
    """A project's deployments on one Forge server, as seen from a device.

    `public_key` (hex, from `forge keys public`) is pinned: a rune whose signature does not
    verify with it is never loaded. `telemetry=True` records fetch, load, inference and error
    events into `<cache_dir>/telemetry.db` and sends them in the background.
    """

    def __init__(self, url: str, key: str, project: str, public_key: str, *,
                 cache_dir: str | os.PathLike[str] | None = None, telemetry: bool = True,
                 device_id: str | None = None, timeout: float = 30.0,
                 flush_seconds: float = 5.0) -> None:
        self.url, self.key, self.project = url.rstrip("/"), key, project
        self.public_key = public_key_from_hex(public_key)
        self.timeout = timeout
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.cache = RuneCache(root / project)
        self.device_id = device_id or self._device_id(root)
        self.telemetry: Telemetry | None = None
        if telemetry:
            self.telemetry = Telemetry(TelemetryQueue(root / project / "telemetry.db"),
                                       self._send_events, self.device_id,
                                       flush_seconds=flush_seconds)

    @staticmethod
    def _device_id(root: Path) -> str:
        """A random id kept in the cache folder: stable across restarts, not a hardware id."""
        path = root / "device-id"
        try:
            return path.read_text().strip()
        except OSError:
            root.mkdir(parents=True, exist_ok=True)
            device = uuid.uuid4().hex
            path.write_text(device)
            return device

    def _project_url(self, suffix: str) -> str:
        return f"{self.url}/v1/projects/{urllib.parse.quote(self.project, safe='')}/{suffix}"

    def _send_events(self, events: list[dict[str, Any]]) -> None:
        http.request("POST", self._project_url("telemetry"), self.key,
                     json_body={"events": events}, timeout=self.timeout)

    def record(self, kind: str, **fields: Any) -> str | None:
        """Queue a telemetry event (if telemetry is on); returns its id."""
        if self.telemetry is None:
            return None
        return self.telemetry.record(kind, **fields)

    # -- fetching ---------------------------------------------------------------------------

    def fetch(self, ref: str) -> Artifact:
        """The verified rune `ref` (a channel, `v<n>` or a sha256) names now; from the cache
        when the server says it is unchanged or cannot be reached."""
        cached = self.cache.get_ref(ref)
        headers = {"If-None-Match": f'"{cached.sha256}"'} if cached else {}
        start = time.perf_counter()
        try:
            response = http.request("GET", self._project_url(f"runes/{urllib.parse.quote(ref)}"),
                                    self.key, headers=headers, timeout=self.timeout)
        except (ForgeUnavailable, ForgeHTTPError) as exc:
            if isinstance(exc, ForgeHTTPError) and exc.status < 500:
                self.record("error", channel=ref, error=f"fetch: {exc}"[:MAX_ERROR])
                raise
            artifact = self._from_cache(ref, cached, "offline")
            if artifact is None:
                self.record("error", channel=ref, error=f"fetch: {exc}"[:MAX_ERROR])
                raise ForgeUnavailable(f"{exc}; and no verified copy of {ref!r} is cached") \
                    from None
            return artifact
        network_ms = (time.perf_counter() - start) * 1000
        if response.status == 304 and cached is not None:
            artifact = self._from_cache(ref, cached, "not-modified")
            if artifact is not None:
                self.record("fetch", channel=artifact.channel, version_sha256=artifact.sha256,
                            total_ms=network_ms, stages={"network": network_ms})
                return artifact
            response = http.request("GET", self._project_url(f"runes/{urllib.parse.quote(ref)}"),
                                    self.key, timeout=self.timeout)
        sha, signature = response.headers["X-Rune-Sha256"], response.headers["X-Rune-Signature"]
        verify_start = time.perf_counter()
        try:
            verify(response.body, sha or "", signature or "", self.public_key)
        except ForgeError as exc:
            self.record("error", channel=ref, error=f"verify: {exc}"[:MAX_ERROR])
            raise
        verify_ms = (time.perf_counter() - verify_start) * 1000
        entry = CachedRef(sha, signature, int(response.headers["X-Rune-Version"]),
                          response.headers.get("X-Rune-Channel"))
        self.cache.put(ref, entry, response.body)
        artifact = Artifact(response.body, sha, entry.version, entry.channel, "network")
        self.record("fetch", channel=entry.channel, version_sha256=sha,
                    total_ms=(time.perf_counter() - start) * 1000,
                    stages={"network": network_ms, "verify": verify_ms})
        return artifact

    def _from_cache(self, ref: str, cached: CachedRef | None, source: str) -> Artifact | None:
        """The cached copy, verified again (a file on disk can be altered as well)."""
        if cached is None:
            return None
        data = self.cache.get_blob(cached.sha256)
        if data is None:
            return None
        verify(data, cached.sha256, cached.signature, self.public_key)
        return Artifact(data, cached.sha256, cached.version, cached.channel, source)

    # -- loading ----------------------------------------------------------------------------

    def load(self, artifact: Artifact, **options: Any) -> tuple[Rune, dict[str, list[int]]]:
        """Load a verified artifact, with per-stage timers on its imports."""
        timings: dict[str, list[int]] = {}
        start = time.perf_counter()
        try:
            rune = Rune(read_rune(artifact.data), timings=timings, **options)
        except Exception as exc:
            self.record("error", channel=artifact.channel, version_sha256=artifact.sha256,
                        error=f"load: {exc}"[:MAX_ERROR])
            raise
        self.record("load", channel=artifact.channel, version_sha256=artifact.sha256,
                    total_ms=(time.perf_counter() - start) * 1000)
        return rune, timings

    def rune(self, ref: str, *, refresh_seconds: float | None = None,
             **options: Any) -> DeployedRune:
        """Fetch, verify and load `ref`; with `refresh_seconds`, a background thread checks
        for a new version that often and swaps it in between two inferences."""
        return DeployedRune(self, ref, refresh_seconds, options)

    def close(self) -> None:
        if self.telemetry is not None:
            self.telemetry.close()

    def __enter__(self) -> Forge:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class DeployedRune:
    """A loaded rune that follows a channel. `run` times each inference (total and per stage)
    for telemetry; every other attribute is the current `Rune`'s."""

    def __init__(self, forge: Forge, ref: str, refresh_seconds: float | None,
                 options: dict[str, Any]) -> None:
        self.forge, self.ref, self.options = forge, ref, options
        self.artifact = forge.fetch(ref)
        self.rune, self._timings = forge.load(self.artifact, **options)
        self._pending: tuple[Artifact, Rune, dict[str, list[int]]] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if refresh_seconds is not None:
            self._thread = threading.Thread(target=self._refresh_loop, args=(refresh_seconds,),
                                            name="forge-refresh", daemon=True)
            self._thread.start()

    @property
    def sha256(self) -> str:
        return self.artifact.sha256

    @property
    def version(self) -> int:
        return self.artifact.version

    def refresh(self) -> bool:
        """Check for a new version now; if there is one, load it and swap it in before the
        next run. True if a new version is pending or was swapped in."""
        artifact = self.forge.fetch(self.ref)
        if artifact.sha256 == self.artifact.sha256:
            return False
        rune, timings = self.forge.load(artifact, **self.options)
        with self._lock:
            self._pending = (artifact, rune, timings)
        return True

    def _refresh_loop(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.refresh()
            except ForgeError:
                pass  # recorded as telemetry; keep running the current version
            except Exception as exc:  # a bad new rune must not stop the running one
                self.forge.record("error", channel=self.ref, error=f"refresh: {exc}"[:MAX_ERROR])

    def run(self, inputs: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._pending is not None:
                self.artifact, self.rune, self._timings = self._pending
                self._pending = None
            artifact, rune, timings = self.artifact, self.rune, self._timings
            timings.clear()
            start = time.perf_counter_ns()
            try:
                outputs = rune.run(inputs, **kwargs)
            except Exception as exc:
                self.forge.record("error", channel=artifact.channel,
                                  version_sha256=artifact.sha256,
                                  error=f"run: {exc}"[:MAX_ERROR])
                raise
            total = time.perf_counter_ns() - start
        stages = {_stage(key, rune): ns / 1e6 for key, (ns, _calls) in timings.items()}
        stages["host_and_guest"] = max(0.0, total / 1e6 - sum(stages.values()))
        self.forge.record("inference", channel=artifact.channel, version_sha256=artifact.sha256,
                          total_ms=total / 1e6, stages=stages)
        return outputs

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rune, name)


def _stage(key: str, rune: Rune) -> str:
    """`model:<index>` becomes `model:<name>`; import names stay as they are."""
    if key.startswith("model:"):
        return f"model:{rune.manifest.models[int(key[6:])].name}"
    return key
