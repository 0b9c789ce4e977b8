"""A build that runs past its time or memory limit fails with a clear diagnostic; the worker
carries on."""

from __future__ import annotations

import subprocess

from conftest import Deployment
from forgekit import FORGE, MICROSPEECH


def _queue(admin) -> int:  # type: ignore[no-untyped-def]
    files = [("files", (p.name, p.read_bytes())) for p in sorted(MICROSPEECH.iterdir())]
    made = admin.post("/v1/projects/limits/builds", files=files)
    assert made.status_code == 202, made.text
    return made.json()["id"]


def _work_once(forge: Deployment, *limits: str) -> None:
    command = [*FORGE, "worker", "--once", "--data", str(forge.data), *limits]
    if forge.database_url:
        command += ["--database-url", forge.database_url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_time_and_memory_limits(forge: Deployment) -> None:
    admin, _ = forge.project("limits")
    slow = _queue(admin)
    _work_once(forge, "--timeout", "0.3")
    build = admin.get(f"/v1/projects/limits/builds/{slow}").json()
    assert build["status"] == "failed"
    assert build["diagnostics"][0]["message"] == (
        "the build ran past its time limit of 0.3 s and was stopped")
    hungry = _queue(admin)
    _work_once(forge, "--memory-mb", "64")
    build = admin.get(f"/v1/projects/limits/builds/{hungry}").json()
    assert build["status"] == "failed"
    message = build["diagnostics"][0]["message"]
    assert message.startswith("the build process ") and "(limit 64 MiB)" in message
    fine = _queue(admin)
    _work_once(forge)
    assert admin.get(f"/v1/projects/limits/builds/{fine}").json()["status"] == "succeeded"
