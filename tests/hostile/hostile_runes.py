"""Build hostile inputs for the tests: Runefiles with one value replaced, runes with a raw
manifest, all from the sine example."""

from __future__ import annotations

import shutil
from pathlib import Path

from rune.runtime.container import _custom_section, read_rune

REPO = Path(__file__).resolve().parents[2]
SINE = REPO / "examples" / "sine"


def sine_project(folder: Path, replace: tuple[str, str] | None = None) -> Path:
    """A copy of examples/sine in `folder`, with one piece of the Runefile's text replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SINE / "sinemodel.tflite", folder)
    text = (SINE / "Runefile.yml").read_text()
    if replace is not None:
        assert replace[0] in text, replace
        text = text.replace(*replace)
    path = folder / "Runefile.yml"
    path.write_text(text)
    return path


def with_manifest(rune: bytes, manifest: bytes) -> bytes:
    """The rune's wasm and blobs with `manifest` as its raw rune.manifest bytes."""
    container = read_rune(rune)
    return b"".join((container.wasm, _custom_section("rune.manifest", manifest),
                     _custom_section("rune.blobs", bytes(container.blobs))))
