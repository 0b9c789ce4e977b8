"""Real parts for the Forge tests: `forge serve`/`forge worker` as processes on loopback, a
throw-away PostgreSQL cluster, and an HTTP client that speaks to them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
PEER = (REPO / ".." / "shared" / "peer-suite" / "hotg-rune").resolve()
MICROSPEECH = PEER / "integration-tests" / "run-pass" / "microspeech-up"
UP_WAV = MICROSPEECH / "up.wav"
FORGE = [sys.executable, "-m", "rune.forge.cli"]
PG_DEPS_HINT = "PostgreSQL's server binaries are not installed: run `make pg-deps`"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def stop(process: subprocess.Popen | None, grace: float) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; always reaped."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class ForgeServer:
    """`forge serve` on a loopback port; `kill()` is SIGKILL, `start()` starts it again."""

    data: Path
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    extra: tuple[str, ...] = ()
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> ForgeServer:
        command = [*FORGE, "serve", "--data", str(self.data), "--port", str(self.port),
                   *self.extra]
        if self.database_url:
            command += ["--database-url", self.database_url]
        self.log = open(self.data / f"serve-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, timeout, f"forge serve on port {self.port}")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"forge serve exited with {self.process.returncode}:\n"
                                 + self.read_log())
        try:
            return httpx.get(self.url + "/v1/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def read_log(self) -> str:
        return (self.data / f"serve-{self.port}.log").read_text(errors="replace")

    @property
    def server_key(self) -> str:
        return (self.data / "server.key").read_text().strip()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        stop(self.process, 10)
        self.process = None


@dataclass
class ForgeWorker:
    data: Path
    database_url: str | None = None
    extra: tuple[str, ...] = ()
    process: subprocess.Popen | None = None

    def start(self) -> ForgeWorker:
        command = [*FORGE, "worker", "--data", str(self.data), "--poll", "0.2", *self.extra]
        if self.database_url:
            command += ["--database-url", self.database_url]
        self.log = open(self.data / "worker.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        stop(self.process, 20)
        self.process = None


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def postgres_bin() -> Path:
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for root in roots:
        if (root / "initdb").exists() and (root / "pg_ctl").exists():
            return root
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise FileNotFoundError(PG_DEPS_HINT)


class PostgresCluster:
    """A throw-away cluster in a temporary folder, listening on loopback only."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="forge-pg-"))
        self.port = free_port()
        self.data = self.root / "data"
        self.started = False
        self._databases = 0
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def start(self) -> PostgresCluster:
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U",
                                     "forge", "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, cwd=self.root)
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                   "-c max_connections=300 -c fsync=on")
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o",
                                     options, "-l", str(self.root / "log"), "-w", "-t", "60",
                                     "start"]), check=True, capture_output=True, cwd=self.root)
        self.started = True
        return self

    def new_database(self) -> str:
        import psycopg

        self._databases += 1
        name = f"forge_{self._databases}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=forge dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://forge@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.started:
            subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                                         "immediate", "-w", "stop"]), capture_output=True,
                           cwd=self.root)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


class Api:
    """httpx over one server with one key; every call returns the httpx.Response."""

    def __init__(self, url: str, key: str | None) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=60)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.http, name)


def cli(server: ForgeServer, key: str, *args: str, project: str | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `forge <args>` against `server` as a user would."""
    env = {**os.environ, "FORGE_URL": server.url, "FORGE_KEY": key}
    if project:
        env["FORGE_PROJECT"] = project
    return subprocess.run([*FORGE, *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
