"""The OpenAPI document: checked in, current, served, and honoured (schemathesis against a
live server on each database)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import Deployment
from forgekit import MICROSPEECH, REPO
from rune.forge.server.openapi import render

CHECKED_IN = REPO / "docs" / "forge.openapi.json"


def test_checked_in_spec_is_current() -> None:
    assert CHECKED_IN.read_text() == render(), (
        "docs/forge.openapi.json is stale: run `make forge-openapi`")


def test_served_spec_is_the_checked_in_one(forge: Deployment) -> None:
    served = forge.api(None).get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(CHECKED_IN.read_text())


def test_schemathesis(forge: Deployment, tmp_path: Path) -> None:
    """Generated requests (valid and invalid) against every operation, with a project that has
    a version and a channel: no 5xx, every response as documented (status, content type,
    schema, Allow), invalid input refused. Bounded: a few hundred requests in all."""
    admin, made = forge.project("fuzz")
    files = [("files", (p.name, p.read_bytes())) for p in sorted(MICROSPEECH.parent.joinpath(
        "sine").iterdir())]
    assert admin.post("/v1/projects/fuzz/builds", files=files).status_code == 202
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'''
headers = {{ Authorization = "Bearer {made['admin_key']['key']}" }}
[parameters]
"path.project" = "fuzz"
"path.build_id" = 1
''')
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
               f"{forge.server.url}/openapi.json", "--checks", "all", "--max-examples", "10",
               "--seed", "1", "--workers", "1", "--no-color",
               "--exclude-checks", "positive_data_acceptance,ignored_auth",
               # revoking keys would revoke the key the run itself uses
               "--exclude-method", "DELETE",
               "--request-timeout", "30"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
