"""Session fixtures of the `rune eval` tests: the microspeech rune compiled by runec, a spoken-word
dataset synthesised with espeak-ng and sox, and a real Ray cluster on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rune.eval import synth

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "peer-suite" / "hotg-rune"
BIN = Path(sys.executable).parent
#: Clips per label: 5 labels make the 400-clip set the issue asks for.
PER_LABEL = 80


def runec(runefile: Path, out: Path) -> Path:
    done = subprocess.run([BIN / "runec", runefile, "-o", out], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(autouse=True, scope="session")
def _module_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled modules go to a temporary cache (inherited by workers), never ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNE_CACHE_DIR", str(tmp_path_factory.mktemp("module-cache")))
        yield


@pytest.fixture(scope="session")
def microspeech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runefile = PEER / "examples" / "microspeech" / "Runefile.yml"
    assert runefile.is_file(), f"the peer suite is missing: {runefile}"
    return runec(runefile, tmp_path_factory.mktemp("runes") / "microspeech.rune")


@pytest.fixture(scope="session")
def sine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rune whose only output is a number: no label."""
    runefile = PEER / "examples" / "sine" / "Runefile.yml"
    return runec(runefile, tmp_path_factory.mktemp("runes") / "sine.rune")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 one-second clips: up/down/left/right/unknown, made once per session."""
    missing = synth.tools_missing()
    assert not missing, f"missing {missing}: run `make eval-deps`"
    out = tmp_path_factory.mktemp("clips")
    made = synth.synthesise(out, per_label=PER_LABEL)
    assert len(made) == 5 * PER_LABEL
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: Ray on loopback only (Linux Ray otherwise binds the machine's own address), no usage stats.
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """`ray start --head` with two CPUs (two worker processes) on 127.0.0.1, every port chosen
    free, in its own process group; its address. Stopped in teardown whatever happened: the
    blocking `ray start` is sent SIGTERM (it stops what it started), then anything left in its
    process group is killed. `ray stop` is not used: it would stop every Ray on the machine."""
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths are limited
    port = _free_port()
    ports = {flag: _free_port() for flag in ("--ray-client-server-port", "--dashboard-port",
             "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port",
             "--runtime-env-agent-port", "--metrics-export-port", "--node-manager-port",
             "--object-manager-port")}  # fmt: skip
    log = Path(temp) / "ray-start.log"
    argv = [BIN / "ray", "start", "--head", "--block", "--num-cpus=2", f"--port={port}",
            "--node-ip-address=127.0.0.1", "--include-dashboard=false",
            "--object-store-memory=100000000", "--disable-usage-stats", f"--temp-dir={temp}",
            *(f"{flag}={value}" for flag, value in ports.items())]  # fmt: skip
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **RAY_ENV},
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while b"Ray runtime started" not in log.read_bytes():
            assert process.poll() is None, f"ray start exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"ray start timed out:\n{log.read_text()}"
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
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
        shutil.rmtree(temp, ignore_errors=True)
