"""Versions, channels and the SDK: immutable signed versions, promote/rollback/history,
ETag/304, verification before load, offline start, background refresh."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import Deployment
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from forgekit import MICROSPEECH, UP_WAV, ForgeWorker, free_port, wait_until
from rune.forge.sdk import Forge, ForgeHTTPError, ForgeUnavailable, VerificationError

PROJECT = "deploy"


def _push(api, runefile: str) -> int:  # type: ignore[no-untyped-def]
    files = [("files", ("Runefile.yml", runefile.encode())),
             ("files", ("model.tflite", (MICROSPEECH / "model.tflite").read_bytes()))]
    made = api.post(f"/v1/projects/{PROJECT}/builds", files=files)
    assert made.status_code == 202, made.text
    url = f"/v1/projects/{PROJECT}/builds/{made.json()['id']}"
    build = wait_until(lambda: (b := api.get(url).json())["status"] in ("succeeded", "failed")
                       and b, 300, "the build", interval=0.3)
    assert build["status"] == "succeeded", build
    return build["version"]


@pytest.fixture(scope="module")
def project(forge: Deployment, worker: ForgeWorker) -> dict:
    admin, made = forge.project(PROJECT)
    text = (MICROSPEECH / "Runefile.yml").read_text()
    v1 = _push(admin, text)
    v2 = _push(admin, text.replace("          up\n", "          UP\n"))  # another label
    device = admin.post(f"/v1/projects/{PROJECT}/keys",
                        json={"scopes": ["fetch", "telemetry"]}).json()["key"]
    return {"admin": admin, "public_key": made["public_key"], "v1": v1, "v2": v2,
            "device": device}


def _label(outputs) -> str:  # type: ignore[no-untyped-def]
    (output,) = outputs
    (label,) = output.value
    return str(label)


def test_versions_are_signed_and_channels_keep_history(forge: Deployment, project: dict) -> None:
    admin = project["admin"]
    assert (project["v1"], project["v2"]) == (1, 2)
    versions = {v["number"]: v for v in admin.get(f"/v1/projects/{PROJECT}/versions").json()}
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(project["public_key"]))
    for version in versions.values():
        key.verify(bytes.fromhex(version["signature"]), bytes.fromhex(version["sha256"]))
    base = f"/v1/projects/{PROJECT}/channels"
    assert admin.put(f"{base}/staging", json={"version": 1}).json()["version"] == 1
    promoted = admin.post(f"{base}/production/promote", json={"source": "staging"})
    assert promoted.status_code == 200 and promoted.json()["version"] == 1
    assert admin.put(f"{base}/staging", json={"version": 2}).json()["version"] == 2
    again = admin.post(f"{base}/production/promote", json={"source": "staging"})
    assert again.json()["version"] == 2
    back = admin.post(f"{base}/production/rollback", json={})
    assert back.status_code == 200 and back.json()["version"] == 1
    nothing = admin.post(f"{base}/production/rollback", json={})
    assert nothing.status_code == 409
    assert nothing.json()["detail"] == "channel 'production' has no earlier version to roll back to"
    history = admin.get(f"{base}/production/history").json()
    assert [(h["action"], h["version"]) for h in history] == [
        ("rollback", 1), ("promote", 2), ("promote", 1)]
    assert admin.put(f"{base}/staging", json={"version": 99}).status_code == 404
    assert admin.put(f"{base}/Bad Name", json={"version": 1}).status_code == 422
    # Fetch by channel, number and hash; the ETag is the hash and a match costs a 304.
    device = forge.api(project["device"])
    rune = device.get(f"/v1/projects/{PROJECT}/runes/production")
    assert rune.status_code == 200 and rune.headers["x-rune-version"] == "1"
    sha = hashlib.sha256(rune.content).hexdigest()
    assert rune.headers["etag"] == f'"{sha}"' and sha == versions[1]["sha256"]
    assert device.get(f"/v1/projects/{PROJECT}/runes/v1").content == rune.content
    assert device.get(f"/v1/projects/{PROJECT}/runes/{sha}").content == rune.content
    cached = device.get(f"/v1/projects/{PROJECT}/runes/production",
                        headers={"If-None-Match": f'"{sha}"'})
    assert cached.status_code == 304 and cached.content == b""
    assert device.get(f"/v1/projects/{PROJECT}/runes/nowhere").status_code == 404
    assert device.put(f"{base}/staging", json={"version": 1}).status_code == 403


def test_sdk_fetches_verifies_runs_caches_and_refreshes(forge: Deployment, project: dict,
                                                        tmp_path: Path) -> None:
    admin = project["admin"]
    base = f"/v1/projects/{PROJECT}/channels"
    admin.put(f"{base}/sdk", json={"version": 1})
    with Forge(forge.server.url, project["device"], PROJECT, project["public_key"],
               cache_dir=tmp_path, flush_seconds=0.2) as client:
        rune = client.rune("sdk")
        assert rune.version == 1 and client.fetch("sdk").source == "not-modified"
        assert _label(rune.run({"audio": UP_WAV})) == "up"
        admin.put(f"{base}/sdk", json={"version": 2})
        assert rune.refresh() is True
        assert rune.version == 1  # swapped in between inferences, not under a running one
        assert _label(rune.run({"audio": UP_WAV})) == "UP" and rune.version == 2
        admin.put(f"{base}/sdk", json={"version": 1})
        background = client.rune("sdk", refresh_seconds=0.2)
        admin.put(f"{base}/sdk", json={"version": 2})
        wait_until(lambda: _label(background.run({"audio": UP_WAV})) == "UP", 30,
                   "the background refresh")
        background.close()
    # Offline: the server is unreachable; the last verified copy starts.
    dead = f"http://127.0.0.1:{free_port()}"
    with Forge(dead, project["device"], PROJECT, project["public_key"], cache_dir=tmp_path,
               telemetry=False) as offline:
        artifact = offline.fetch("sdk")
        assert artifact.source == "offline" and artifact.version == 2
        assert _label(offline.rune("sdk").run({"audio": UP_WAV})) == "UP"
        with pytest.raises(ForgeUnavailable, match="no verified copy of 'production' is cached"):
            offline.fetch("production")
        # A cached copy altered on disk is refused, offline too.
        blob = tmp_path / PROJECT / "blobs" / f"{artifact.sha256}.rune"
        data = bytearray(blob.read_bytes())
        data[-10] ^= 0xFF
        blob.write_bytes(bytes(data))
        with pytest.raises(VerificationError, match="it was altered or damaged"):
            offline.fetch("sdk")


def test_sdk_refuses_a_wrong_key_and_a_tampered_artifact(forge: Deployment, project: dict,
                                                          tmp_path: Path) -> None:
    admin = project["admin"]
    admin.put(f"/v1/projects/{PROJECT}/channels/tamper", json={"version": 1})
    wrong = "11" * 32  # a well-formed key, not the project's
    with Forge(forge.server.url, project["device"], PROJECT, wrong, cache_dir=tmp_path / "a",
               telemetry=False) as client:
        with pytest.raises(VerificationError, match="does not verify with the pinned public key"):
            client.rune("tamper")
        assert not (tmp_path / "a" / PROJECT / "blobs").exists()  # nothing unverified is kept
    # Someone with write access to the artifact folder swaps the rune: its hash no longer
    # matches the signed one.
    sha = admin.get(f"/v1/projects/{PROJECT}/versions/1").json()["sha256"]
    stored = forge.data / "store" / sha[:2] / sha
    original = stored.read_bytes()
    try:
        stored.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with Forge(forge.server.url, project["device"], PROJECT, project["public_key"],
                   cache_dir=tmp_path / "b", telemetry=False) as client:
            with pytest.raises(VerificationError, match="it was altered or damaged"):
                client.rune("tamper")
    finally:
        stored.write_bytes(original)
    with Forge(forge.server.url, "fk_bad_key", PROJECT, project["public_key"],
               cache_dir=tmp_path / "c", telemetry=False) as client:
        with pytest.raises(ForgeHTTPError, match="HTTP 401: unknown API key"):
            client.fetch("tamper")
    shutil.rmtree(tmp_path, ignore_errors=True)
