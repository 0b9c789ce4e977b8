"""The user's session from the README (docs/forge.md), over HTTP against a real server, worker
and compiler: serve -> project and keys -> push examples/microspeech -> a broken Runefile's
diagnostics point at its line -> staging -> production -> an SDK client fetches, verifies and
runs it on up.wav -> the studio API shows the telemetry -> rollback -> the client picks up the
previous version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import Deployment
from forgekit import REPO, UP_WAV, ForgeWorker, cli
from rune.forge.sdk import Forge

EXAMPLE = REPO / "examples" / "microspeech"


def _ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _label(rune) -> str:  # type: ignore[no-untyped-def]
    (output,) = rune.run({"audio": UP_WAV})
    (label,) = output.value
    return str(label)


def test_readme_session(forge: Deployment, worker: ForgeWorker, tmp_path: Path) -> None:
    server = forge.server
    made = json.loads(_ok(cli(server, server.server_key, "projects", "create", "speech",
                              "--json")))
    admin, public_key = made["admin_key"]["key"], made["public_key"]
    deploy = json.loads(_ok(cli(server, admin, "keys", "create", "--scope", "deploy",
                                "--name", "ci", "--json", project="speech")))["key"]
    device = json.loads(_ok(cli(server, admin, "keys", "create", "--scope", "fetch", "--scope",
                                "telemetry", "--name", "devices", "--json",
                                project="speech")))["key"]
    assert _ok(cli(server, admin, "keys", "public", project="speech")).strip() == public_key

    assert _ok(cli(server, deploy, "push", str(EXAMPLE), project="speech")).strip() == "version 1"
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE, broken)
    lines = (EXAMPLE / "Runefile.yml").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if "most_confident_indices" in line)
    lines[at] = lines[at].replace("most_confident_indices", "most_confident_indexes")
    (broken / "Runefile.yml").write_text("\n".join(lines) + "\n")
    failed = cli(server, deploy, "push", str(broken), project="speech")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    first = failed.stderr.splitlines()[1]
    assert first.startswith(f"Runefile.yml:{at + 1}:"), failed.stderr
    assert "most_confident_indexes" in first

    _ok(cli(server, deploy, "deploy", "v1", "staging", project="speech"))
    assert _ok(cli(server, deploy, "promote", "staging", "production",
                   project="speech")).startswith("production -> v1")

    with Forge(server.url, device, "speech", public_key, cache_dir=tmp_path / "device",
               flush_seconds=0.2) as client:
        rune = client.rune("production")
        assert rune.version == 1 and _label(rune) == "up"
        assert client.telemetry is not None and client.telemetry.flush(20)

        # The studio's JSON API shows it: one active device, its inference and load times.
        report = json.loads(_ok(cli(server, deploy, "telemetry", "--json", project="speech")))
        assert report["summary"]["inferences"] == 1
        assert report["summary"]["active_devices"] == 1
        assert report["latency"]["overall"]["count"] == 1
        assert report["latency"]["overall"]["p50"] > 0
        assert any(s.startswith("model:") for s in report["summary"]["stages"])
        text = _ok(cli(server, deploy, "telemetry", project="speech"))
        assert "inferences 1" in text and "active devices 1" in text

        # A second version goes out, then is rolled back; the client follows both.
        second = tmp_path / "second"
        shutil.copytree(EXAMPLE, second)
        runefile = (second / "Runefile.yml").read_text().replace("          up\n",
                                                                 "          UP\n")
        (second / "Runefile.yml").write_text(runefile)
        assert _ok(cli(server, deploy, "push", str(second), "--deploy", "staging",
                       project="speech")).strip() == "version 2 deployed to staging"
        _ok(cli(server, deploy, "promote", "staging", "production", project="speech"))
        assert rune.refresh() and _label(rune) == "UP" and rune.version == 2
        rolled = _ok(cli(server, deploy, "rollback", "production", project="speech"))
        assert rolled.startswith("production -> v1")
        assert rune.refresh() and _label(rune) == "up" and rune.version == 1
        history = _ok(cli(server, deploy, "history", "production", project="speech"))
        assert [line.split()[1:] for line in history.splitlines()] == [
            ["rollback", "v1"], ["promote", "v2"], ["promote", "v1"]]
