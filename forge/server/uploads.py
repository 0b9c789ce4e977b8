"""Uploaded source folders: files or one archive in, a normalised tar out.

Everything here treats its input as hostile: names must be plain relative paths (no absolute
paths, no `..`, no drive letters or backslashes), archives may hold only regular files and
directories (no links, devices or FIFOs), and sizes are counted as bytes are read, so a
compression bomb stops at the limit.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_NAME = 255


class UploadError(ValueError):
    pass


@dataclass
class Budget:
    max_bytes: int
    max_files: int
    used_bytes: int = 0
    files: int = 0

    def take(self, name: str, size: int) -> None:
        self.files += 1
        self.used_bytes += size
        if self.files > self.max_files:
            raise UploadError(f"too many files (more than {self.max_files})")
        if self.used_bytes > self.max_bytes:
            raise UploadError(f"{name}: the upload is larger than {self.max_bytes} bytes")


def safe_name(name: str) -> str:
    """The normalised relative path of an uploaded file, or UploadError."""
    if not name or "\\" in name or "\x00" in name or len(name) > 1000:
        raise UploadError(f"invalid file name {name!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or ":" in path.parts[0]:
        raise UploadError(f"{name}: absolute paths are not allowed in an upload")
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise UploadError(f"{name}: paths may not leave the upload folder ('..')")
    if any(len(p) > MAX_NAME for p in parts):
        raise UploadError(f"{name}: a path component is longer than {MAX_NAME} characters")
    return "/".join(parts)


def _read_limited(stream: io.BufferedIOBase, name: str, budget: Budget) -> bytes:
    """Read in chunks, stopping as soon as the budget is exceeded (bombs stop at the limit)."""
    chunks = []
    budget.take(name, 0)
    while chunk := stream.read(1 << 20):
        budget.used_bytes += len(chunk)
        if budget.used_bytes > budget.max_bytes:
            raise UploadError(f"{name}: the upload is larger than {budget.max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def read_archive(data: bytes, budget: Budget) -> dict[str, bytes]:
    """The regular files of a tar (any compression) or zip archive, by safe name."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _read_zip(data, budget)
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UploadError(f"the archive is neither a zip nor a tar file ({exc})") from None
    files: dict[str, bytes] = {}
    with archive:
        try:
            for member in archive:
                if member.isdir():
                    safe_name(member.name)
                    continue
                if not member.isreg():
                    raise UploadError(f"{member.name}: only regular files are allowed in an "
                                      "archive (no links, devices or FIFOs)")
                name = safe_name(member.name)
                stream = archive.extractfile(member)
                assert stream is not None
                files[name] = _read_limited(stream, name, budget)
        except (tarfile.TarError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise UploadError(f"the archive is damaged ({exc})") from None
    return files


def _read_zip(data: bytes, budget: Budget) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                mode = info.external_attr >> 16
                if info.is_dir():
                    safe_name(info.filename)
                    continue
                if mode and (mode & 0o170000) not in (0, 0o100000):
                    raise UploadError(f"{info.filename}: only regular files are allowed in an "
                                      "archive (no links, devices or FIFOs)")
                name = safe_name(info.filename)
                with archive.open(info) as stream:
                    files[name] = _read_limited(stream, name, budget)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise UploadError(f"the archive is damaged ({exc})") from None
    return files


def pack(files: dict[str, bytes]) -> bytes:
    """A deterministic tar of `files` (sorted, no owners or times): same content, same hash."""
    dirs = {"/".join(n.split("/")[:i]) for n in files for i in range(1, n.count("/") + 1)}
    clash = sorted(dirs & files.keys())
    if clash:
        raise UploadError(f"{clash[0]}: is both a file and a folder in the upload")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            archive.addfile(info, io.BytesIO(files[name]))
    return out.getvalue()


def unpack(data: bytes, dest: Path) -> None:
    """Write a packed source into `dest`, checking every name again."""
    budget = Budget(max_bytes=1 << 40, max_files=1 << 20)
    for name, content in read_archive(data, budget).items():
        target = dest / safe_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
