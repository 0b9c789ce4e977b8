"""`forge worker`: takes queued builds from the database and compiles each in a child process.

Claiming is one short transaction: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`, so any
number of workers on any machines never take the same build; on SQLite a single
`UPDATE ... WHERE status = 'queued' RETURNING`, atomic because SQLite serialises writers.
A build left `running` by a worker that died is queued again after its time limit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .config import Settings
from .db import is_postgres, make_engine, session_factory, transaction
from .models import Build, Project, Source, Version
from .sealing import SealingKey
from .signing import sign_digest
from .store import BlobStore
from .uploads import unpack

log = logging.getLogger("rune.forge.worker")
MIB = 1024 * 1024


@dataclass(frozen=True)
class BuildLimits:
    memory_bytes: int = 4096 * MIB  # RLIMIT_AS of the build process (LLVM and zig reserve a lot)
    cpu_seconds: int = 300
    wall_seconds: float = 600.0
    output_bytes: int = 256 * MIB  # RLIMIT_FSIZE: no file the build writes may exceed this


def _problem(message: str) -> dict[str, Any]:
    return {"severity": "error", "message": message, "location": None, "notes": []}


def run_limited(command: list[str], root: Path, limits: BuildLimits,
                what: str) -> tuple[dict[str, Any], str]:
    """Run a job's command in `root` under `limits`; (its JSON report, the tail of its stderr).
    A job that fails to report gives `{"diagnostics": [problem]}` (no "ok")."""

    def confine() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()

    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "LANG", "LC_ALL", "RUNE_OPT_LEVEL", "VIRTUAL_ENV", "TMPDIR")}
    env["HOME"] = str(root.parent)
    child = subprocess.Popen(command, cwd=root, env=env, preexec_fn=confine,  # noqa: PLW1509
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
    try:
        stdout, stderr_bytes = child.communicate(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the child leads its own group (setsid)
        child.communicate()
        return {"diagnostics": [_problem(f"the {what} ran past its time limit of "
                                         f"{limits.wall_seconds:g} s and was stopped")]}, ""
    stderr = stderr_bytes.decode("utf-8", "replace")[-4000:]
    if child.returncode != 0:
        cause = (f"was killed by signal {-child.returncode}" if child.returncode < 0
                 else f"exited with status {child.returncode}")
        return {"diagnostics": [_problem(
            f"the {what} process {cause}: it may have run out of memory (limit "
            f"{limits.memory_bytes // MIB} MiB) or CPU time (limit {limits.cpu_seconds} s)")
        ]}, stderr
    try:
        return json.loads(stdout), stderr
    except ValueError:
        return {"diagnostics": [_problem(f"the {what} process gave no result")]}, stderr


class Worker:
    def __init__(self, settings: Settings, sealing_key: SealingKey,
                 limits: BuildLimits | None = None, name: str | None = None) -> None:
        self.settings = settings
        self.sealing_key = sealing_key
        self.limits = limits or BuildLimits()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.engine = make_engine(settings.url)
        self.sessions = session_factory(self.engine)
        self.store = BlobStore(settings.store_dir)

    # -- the queue --------------------------------------------------------------------------

    def claim(self) -> int | None:
        """Take the oldest queued build, or None."""
        now = dt.datetime.now(dt.UTC)
        with transaction(self.sessions) as session:
            if is_postgres(self.engine):
                build_id = session.scalar(
                    select(Build.id).where(Build.status == "queued").order_by(Build.id)
                    .limit(1).with_for_update(skip_locked=True))
                if build_id is None:
                    return None
                session.execute(update(Build).where(Build.id == build_id).values(
                    status="running", worker=self.name, started_at=now))
                return build_id
            oldest = select(Build.id).where(Build.status == "queued").order_by(Build.id).limit(1)
            return session.scalar(
                update(Build).where(Build.id == oldest.scalar_subquery(),
                                    Build.status == "queued")
                .values(status="running", worker=self.name, started_at=now)
                .returning(Build.id))

    def requeue_stale(self) -> int:
        """Queue again the builds whose worker vanished (running past every limit)."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.limits.wall_seconds + 60)
        with transaction(self.sessions) as session:
            result = session.execute(update(Build).where(Build.status == "running",
                                                         Build.started_at < cutoff)
                                     .values(status="queued", worker=None))
            return result.rowcount  # type: ignore[attr-defined]

    # -- one build --------------------------------------------------------------------------

    def run_once(self) -> bool:
        build_id = self.claim()
        if build_id is None:
            return False
        try:
            self._build(build_id)
        except Exception as exc:  # the build fails; the worker carries on
            log.exception("build %s failed inside the worker", build_id)
            self._finish(build_id, False, [_problem(
                f"internal error in the worker: {type(exc).__name__}: {exc}")], "")
        return True

    def _build(self, build_id: int) -> None:
        with self.sessions() as session:
            build = session.get_one(Build, build_id)
            source = session.get_one(Source, build.source_id)
            project = session.get_one(Project, build.project_id)
            allow_custom = project.allow_custom_blocks
        work = Path(tempfile.mkdtemp(prefix=f"forge-build-{build_id}-"))
        try:
            root = work / "src"
            root.mkdir()
            unpack(self.store.get(source.sha256), root)
            out = work / "out.rune"
            ok, diagnostics, log_text = self._compile(root, source.runefile, out, allow_custom)
            version_id = None
            if ok:
                version_id = self._add_version(project.id, out.read_bytes(), build_id)
            self._finish(build_id, ok, diagnostics, log_text, version_id)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _compile(self, root: Path, runefile: str, out: Path,
                 allow_custom: bool) -> tuple[bool, list[dict[str, Any]], str]:
        command = [sys.executable, "-m", "rune.forge.server.build_job", "--runefile", runefile,
                   "--out", str(out)]
        if allow_custom:
            command.append("--allow-custom-blocks")
        report, stderr = run_limited(command, root, self.limits, "build")
        if "diagnostics" in report and "ok" not in report:
            return False, report["diagnostics"], stderr
        return bool(report["ok"]), list(report["diagnostics"]), str(report["log"])

    def _add_version(self, project_id: int, data: bytes, build_id: int) -> int:
        """The version for these rune bytes: the existing one if the project has this hash."""
        sha = self.store.put(data)
        for _attempt in range(20):
            with self.sessions() as session:
                existing = session.scalar(select(Version.id).where(
                    Version.project_id == project_id, Version.sha256 == sha))
                if existing is not None:
                    return existing
                project = session.get_one(Project, project_id)
                number = (session.scalar(select(func.max(Version.number))
                                         .where(Version.project_id == project_id)) or 0) + 1
                version = Version(project_id=project_id, number=number, sha256=sha,
                                  size=len(data), signature=self._sign(project, sha),
                                  build_id=build_id, created_at=dt.datetime.now(dt.UTC))
                session.add(version)
                try:
                    session.commit()
                    return version.id
                except IntegrityError:  # a concurrent build took the number or the hash
                    session.rollback()
        raise RuntimeError("could not allocate a version number")

    def _sign(self, project: Project, sha256_hex: str) -> bytes:
        private = self.sealing_key.unseal(project.private_key_sealed, project.public_key)
        return sign_digest(private, sha256_hex)

    def _finish(self, build_id: int, ok: bool, diagnostics: list[dict[str, Any]], log_text: str,
                version_id: int | None = None) -> None:
        with transaction(self.sessions) as session:
            session.execute(update(Build).where(Build.id == build_id).values(
                status="succeeded" if ok else "failed", diagnostics=diagnostics, log=log_text,
                version_id=version_id, finished_at=dt.datetime.now(dt.UTC)))

    # -- the loop ---------------------------------------------------------------------------

    def run_forever(self, poll_seconds: float = 1.0,
                    stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        self.requeue_stale()
        while not stop.is_set():
            if not self.run_once():
                stop.wait(poll_seconds)

