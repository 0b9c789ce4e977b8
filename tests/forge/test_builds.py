"""Sources, the build queue and workers: the real compiler in a confined child process."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from conftest import Deployment
from forgekit import MICROSPEECH, ForgeWorker, cli, wait_until

SINE = MICROSPEECH.parent / "sine"


def _wait_build(api, project: str, build_id: int) -> dict:  # type: ignore[no-untyped-def]
    def done() -> dict | None:
        build = api.get(f"/v1/projects/{project}/builds/{build_id}").json()
        return build if build["status"] in ("succeeded", "failed") else None

    return wait_until(done, 300, f"build {build_id}", interval=0.3)


def test_push_builds_a_version_and_a_broken_runefile_gets_located_diagnostics(
        forge: Deployment, worker: ForgeWorker, tmp_path: Path) -> None:
    admin, _ = forge.project("speech")
    key = admin.post("/v1/projects/speech/keys", json={"scopes": ["deploy"]}).json()["key"]
    pushed = cli(forge.server, key, "push", str(MICROSPEECH), project="speech")
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.strip() == "version 1"
    versions = admin.get("/v1/projects/speech/versions").json()
    assert [v["number"] for v in versions] == [1]
    # The same source again: the same rune, so the same immutable version.
    again = cli(forge.server, key, "push", str(MICROSPEECH), project="speech")
    assert again.returncode == 0 and again.stdout.strip() == "version 1"

    broken = tmp_path / "broken"
    broken.mkdir()
    for file in MICROSPEECH.iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    text = (MICROSPEECH / "Runefile.yml").read_text().splitlines()
    line = next(i for i, t in enumerate(text) if "type: I8" in t)
    text[line] = text[line].replace("I8", "I9")
    (broken / "Runefile.yml").write_text("\n".join(text) + "\n")
    failed = cli(forge.server, key, "push", str(broken), project="speech")
    assert failed.returncode == 1
    column = text[line].index("I9") + 1
    assert f'Runefile.yml:{line + 1}:{column}: error: Unknown element type, "I9"' in failed.stderr
    assert "Traceback" not in failed.stderr
    build = admin.get("/v1/projects/speech/builds").json()[0]
    assert build["status"] == "failed" and build["version"] is None
    first = build["diagnostics"][0]
    assert first["location"] == {"file": "Runefile.yml", "line": line + 1, "column": column,
                                 "end_line": line + 1, "end_column": column + 2}
    assert first["severity"] == "error"


def test_archives_and_hostile_uploads(forge: Deployment, worker: ForgeWorker) -> None:
    admin, _ = forge.project("archives")
    url = "/v1/projects/archives/builds"
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w:gz") as archive:
        for path in sorted(SINE.iterdir()):
            archive.add(path, arcname=f"sine/{path.name}")
    made = admin.post(url, files={"archive": ("sine.tgz", tar.getvalue())},
                      data={"runefile": "sine/Runefile.yml"})
    assert made.status_code == 202, made.text
    assert _wait_build(admin, "archives", made.json()["id"])["status"] == "succeeded"

    def refused(files, data=None) -> str:  # type: ignore[no-untyped-def]
        response = admin.post(url, files=files, data=data or {})
        assert response.status_code in (400, 413), response.text
        assert response.headers["content-type"] == "application/problem+json"
        return response.json()["detail"]

    assert "absolute" in refused([("files", ("/etc/passwd", b"x"))])
    assert "'..'" in refused([("files", ("../../x/Runefile.yml", b"x"))])
    assert "no 'Runefile.yml'" in refused([("files", ("a.txt", b"x"))])
    for kind in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE):
        evil = io.BytesIO()
        with tarfile.open(fileobj=evil, mode="w") as archive:
            info = tarfile.TarInfo("Runefile.yml")
            info.type, info.linkname = kind, "/etc/passwd"
            archive.addfile(info)
        assert "only regular files" in refused({"archive": ("evil.tar", evil.getvalue())})
    escape = io.BytesIO()
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../../etc/cron.d/x", b"boom")
    assert "'..'" in refused({"archive": ("evil.zip", escape.getvalue())})
    link = io.BytesIO()
    with zipfile.ZipFile(link, "w") as archive:
        info = zipfile.ZipInfo("Runefile.yml")
        info.external_attr = 0o120777 << 16  # a symlink
        archive.writestr(info, "/etc/passwd")
    assert "only regular files" in refused({"archive": ("link.zip", link.getvalue())})
    assert "damaged" in refused({"archive": ("junk.tar", b"\x1f\x8b junk")}) \
        or "neither" in refused({"archive": ("junk.tar", b"\x1f\x8b junk")})
