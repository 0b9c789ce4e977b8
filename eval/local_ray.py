"""A Ray cluster on this machine's loopback only, for tests, benchmarks and trying `--ray` out.

    with LocalRayCluster(num_cpus=2) as address:
        evaluate("microspeech.rune", "clips/", ray_address=address)

`ray start --head --block` runs in its own process group, bound to 127.0.0.1 (Ray on Linux
otherwise uses the machine's own address), every port chosen free (so two clusters never
collide), a small object store, usage stats off, its files in a fresh short temp dir (Ray's
socket paths have a length limit), and token authentication with a token of its own in that
dir (Ray would otherwise share ~/.ray/auth_token, or run without one). `stop` sends the
blocking `ray start` SIGTERM, which stops what it started, then kills anything left in its
process group: unlike `ray stop`, which stops every Ray on the machine, it touches only this
cluster. A client needs the cluster's `env` in its environment (`start` puts it in this
process's, and `stop` takes it out again).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .errors import EvalError

#: Loopback only, no usage stats: for a local cluster's processes and for its clients.
LOOPBACK_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
_PORT_FLAGS = ("--ray-client-server-port", "--dashboard-port", "--dashboard-agent-listen-port",
               "--dashboard-agent-grpc-port", "--runtime-env-agent-port",
               "--metrics-export-port", "--node-manager-port", "--object-manager-port")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalRayCluster:
    """One Ray head node on 127.0.0.1 with `num_cpus` worker slots; a context manager giving its
    address."""

    def __init__(self, num_cpus: int = 2, object_store_bytes: int = 100_000_000) -> None:
        self.num_cpus = num_cpus
        self.object_store_bytes = object_store_bytes
        self.address: str | None = None
        #: What a client's environment needs: loopback, and this cluster's token.
        self.env: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._temp: str | None = None
        self._saved_env: dict[str, str | None] = {}

    def start(self, timeout: float = 120.0) -> str:
        ray = Path(sys.executable).parent / "ray"
        if not ray.exists():
            raise EvalError("no `ray` command beside this Python: pip install 'rune-runtime[ray]'")
        self._temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")
        token = Path(self._temp) / "auth_token"
        token.touch(mode=0o600)
        token.write_text(secrets.token_hex(32))
        self.env = {**LOOPBACK_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
        self._saved_env = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        port = _free_port()
        argv = [str(ray), "start", "--head", "--block", f"--num-cpus={self.num_cpus}",
                f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false",
                f"--object-store-memory={self.object_store_bytes}", "--disable-usage-stats",
                f"--temp-dir={self._temp}",
                *(f"{flag}={_free_port()}" for flag in _PORT_FLAGS)]  # fmt: skip
        log = Path(self._temp) / "ray-start.log"
        with open(log, "wb") as sink:
            self._process = subprocess.Popen(
                argv, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while b"Ray runtime started" not in log.read_bytes():
            if self._process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")
                self.stop()
                raise EvalError(f"ray start failed:\n{text}")
            time.sleep(0.2)
        self.address = f"127.0.0.1:{port}"
        return self.address

    def stop(self) -> None:
        """Stop the cluster (safe to call twice, or after a failed start)."""
        process, self._process = self._process, None
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
