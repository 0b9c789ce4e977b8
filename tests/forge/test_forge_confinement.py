"""Builds compile other people's Runefiles: each is confined to its upload folder, and custom
Python blocks run only once the project's admin allows them. Each escape is refused with a
diagnostic at its Runefile line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Deployment
from forgekit import MICROSPEECH, ForgeWorker, wait_until

CUSTOM = Path(__file__).resolve().parents[2] / "examples" / "custom_block"
MICRO = (MICROSPEECH / "Runefile.yml").read_text()
WITH_RESOURCE = MICRO.replace('''      wordlist: |
          silence
          unknown
          up
          down
          left
          right
''', "      wordlist: $LABELS\n") + "resources:\n  LABELS:\n    type: string\n    path: {path}\n"


def _build(api, project: str, runefile: str, extra: dict[str, bytes]) -> dict:  # type: ignore[no-untyped-def]
    files = [("files", ("Runefile.yml", runefile.encode()))]
    files += [("files", (name, data)) for name, data in extra.items()]
    made = api.post(f"/v1/projects/{project}/builds", files=files)
    assert made.status_code == 202, made.text
    url = f"/v1/projects/{project}/builds/{made.json()['id']}"
    return wait_until(lambda: (b := api.get(url).json())["status"] in ("succeeded", "failed")
                      and b, 300, "the build", interval=0.3)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


MODEL = (MICROSPEECH / "model.tflite").read_bytes()
CASES = {
    "absolute": (MICRO.replace('"./model.tflite"', '"/etc/passwd"'), {}, "/etc/passwd",
                 "is an absolute path outside the compile root"),
    "dotdot": (WITH_RESOURCE.format(path="../../secret.txt"), {"model.tflite": MODEL},
               "../../secret.txt", "leaves the compile root through `..`"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_paths_out_of_the_upload_are_refused_at_their_line(forge: Deployment,
                                                           worker: ForgeWorker,
                                                           case: str) -> None:
    runefile, extra, needle, message = CASES[case]
    name = f"confine-{case}"
    admin, _ = forge.project(name)
    build = _build(admin, name, runefile, extra)
    assert build["status"] == "failed"
    first = build["diagnostics"][0]
    assert message in first["message"]
    assert first["location"]["file"] == "Runefile.yml"
    assert first["location"]["line"] == _line_of(runefile, needle)


def test_custom_blocks_need_the_admin(forge: Deployment, worker: ForgeWorker) -> None:
    admin, _ = forge.project("custom")
    runefile = (CUSTOM / "Runefile.yml").read_text()
    extra = {"clip.py": (CUSTOM / "clip.py").read_bytes()}
    build = _build(admin, "custom", runefile, extra)
    assert build["status"] == "failed"
    first = build["diagnostics"][0]
    assert first["message"].startswith("custom proc block `")
    assert "this compile forbids them" in first["message"]
    assert first["location"]["line"] == _line_of(runefile, "./clip.py")
    assert admin.patch("/v1/projects/custom", json={"allow_custom_blocks": True}).status_code == 200
    assert _build(admin, "custom", runefile, extra)["status"] == "succeeded"
