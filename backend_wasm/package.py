"""Assemble the final `.rune`: linked wasm + manifest + model bytes (docs/abi.md)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

from rune.abi.container import write_rune
from rune.abi.manifest import Blob, Manifest
from rune.frontend import confine

COMPILER = "rune-compiler 0.1.0"


class PackageError(Exception):
    """A model named by the pipeline cannot be read."""


def _zip_directory(directory: Path) -> bytes:
    """A model directory packed whole, with stable order and timestamps for reproducible runes."""
    confinement = confine.current()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in confinement.directory_files(directory):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, confinement.read_bytes(path))
    return buffer.getvalue()


def model_bytes(source: str) -> bytes:
    if not source:
        return b""  # a binary resource with no value: the host must be given the model
    path = Path(source)
    try:
        return _zip_directory(path) if path.is_dir() else confine.current().read_bytes(path)
    except confine.ConfinementError as exc:
        raise PackageError(str(exc)) from None


def package_rune(wasm: bytes, draft: Manifest) -> bytes:
    """Replace each model's local `source` path with its byte range in `rune.blobs`."""
    blobs = bytearray()
    models = []
    for model in draft.models:
        data = model_bytes(model.source or "")
        models.append(replace(model, source=None, blob=Blob(offset=len(blobs), length=len(data))))
        blobs += data
    manifest = replace(draft, compiler=COMPILER, models=tuple(models))
    return write_rune(wasm, manifest, bytes(blobs))
