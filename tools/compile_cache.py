"""A content-addressed on-disk cache of compiled runes, so a cold `runec` skips the compiler.

The key is the SHA-256 of everything the output depends on: the compiler itself (every source file
of the `rune` packages, the name and version of every installed library, and the wasm-ld it links
with), the request (emit kind, target, optimisation level, pass pipeline, profiling, precision, how
models run), the Runefile's bytes and folder, and the bytes of every file or folder the Runefile
names (models, resources, representative data). Nothing else is read by the compiler, so equal keys
give equal output; a Runefile naming a custom proc block (a Python module, which may import
anything) is never cached. A hit needs only the frontend's checks (YAML, no xDSL, LLVM or NumPy) and
hashing.

An entry is `MAGIC`, the SHA-256 of its payload, then the payload (a length-prefixed JSON header
with the manifest, then the output bytes). A truncated or corrupted entry fails the digest and is
ignored (then recompiled and replaced); entries are written to a temporary name and renamed into
place, so a reader never sees half a file. Only compiles without any diagnostic are stored, so a
hit never hides a warning. The cache is best-effort: an unwritable directory only costs time.

Directory: `$RUNE_COMPILE_CACHE` if set (empty or `off` disables it), else
`$XDG_CACHE_HOME/rune/compile`, else `~/.cache/rune/compile`. Its `kernels/` folder holds the
per-kernel cache (kernel_cache.py), which serves Runefiles this cache has never seen; both use
the entry envelope below (`read_verified`, `write_verified`). Both stay under one size cap,
least recently used entries going first (cache_eviction.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rune.abi.errors import RuneLoadError
from rune.abi.manifest import Manifest, decode, to_json_value
from rune.backend_wasm.link import linker_identity
from rune.backend_wasm.target import OPT_LEVEL_ENV
from rune.frontend import confine
from rune.frontend.ast import Runefile, StageKind
from rune.frontend.references import is_local
from rune.tools import cache_eviction

MAGIC = b"RUNECMP1"
_DIGEST = 32
ENV = "RUNE_COMPILE_CACHE"
#: Emit kinds worth caching: the ones that run LLVM (text stages are for people, and cheap).
CACHED_EMITS = ("obj", "wasm", "rune")


@dataclass(frozen=True)
class Request:
    """What was asked of the compiler, as given (before defaults are resolved)."""

    emit: str
    target: str
    opt_level: str | None
    passes: str | None
    profile: bool
    precision: str = "exact"
    models: str | None = None  # runec --models (None: the target's default)

    def describe(self) -> dict:
        level = self.opt_level or os.environ.get(OPT_LEVEL_ENV)  # resolve_target's default
        return {"emit": self.emit, "target": self.target, "opt_level": level,
                "passes": self.passes, "profile": self.profile, "precision": self.precision,
                "models": self.models}


@dataclass(frozen=True)
class Entry:
    output: bytes
    manifest: Manifest | None  # the compiler's (draft) manifest, as `CompileOptions.manifest`


def default_cache_dir() -> Path | None:
    """Where compiled runes go, or None when the cache is turned off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rune" / "compile"


@cache
def compiler_fingerprint() -> bytes:
    """A digest of the compiler: every .py file of every `rune` package, the name and version
    of every installed distribution, and the wasm-ld that links (link.linker_identity)."""
    digest = hashlib.sha256(sys.version.encode())
    root = Path(__file__).resolve().parents[1]  # the folder holding rune's packages
    for package in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
        if package.name in ("tests", "benchmarks"):
            continue
        for source in sorted(package.rglob("*.py")):
            digest.update(str(source.relative_to(root)).encode() + b"\0")
            digest.update(source.read_bytes() + b"\0")
    for name in installed_distributions():
        digest.update(name.encode() + b"\0")
    digest.update(linker_identity())
    return digest.digest()


def installed_distributions() -> list[str]:
    """The metadata folders (`name-version.dist-info`) in every site-packages folder on the
    path: installing, removing or upgrading any library (xDSL, llvmlite, NumPy, ziglang's
    wasm-ld, PyYAML, TensorFlow, or what they import) changes the fingerprint. Listing folders
    costs about a millisecond; importlib.metadata costs 20 of a cache hit's 140."""
    names: set[str] = set()
    for entry in sys.path:
        if Path(entry).name not in ("site-packages", "dist-packages"):
            continue
        try:
            with os.scandir(entry) as found:
                names.update(e.name for e in found if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return sorted(names)


def cache_key(runefile: Runefile, source: bytes, request: Request,
              in_folder: bool = True) -> str | None:
    """The entry's name for this compile, or None when it must not be cached. `in_folder`:
    the key names the Runefile's folder (else only the contents of the files it names)."""
    if request.emit not in CACHED_EMITS:
        return None
    folder = Path(runefile.directory).resolve()
    digest = hashlib.sha256(compiler_fingerprint())
    digest.update(json.dumps(request.describe(), sort_keys=True).encode() + b"\0")
    digest.update((str(folder) if in_folder else "").encode() + b"\0" + source + b"\0")
    names: list[str] = [r.path for r in runefile.resources.values() if r.path is not None]
    for stage in runefile.stages.values():
        if stage.kind is StageKind.PROC_BLOCK and is_local(stage.target):
            return None  # a custom kernel: its module may import anything
        names.append(stage.target)
        names.extend(str(a.value) for a in stage.args.values() if isinstance(a.value, str))
    for name in sorted(set(names)):
        _hash_path(digest, folder, name)
    return digest.hexdigest()


def _hash_path(digest, folder: Path, name: str) -> None:
    """Add the bytes of the file or folder `name` names (relative to the Runefile), if any,
    read as the compiler would (inside the confinement in force: a file it may not read is
    hashed as unreadable, so the compile that follows reports it)."""
    if not name or "\0" in name or name.startswith("$"):
        return
    jail = confine.current(folder)
    try:
        path = (folder / name).resolve()
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = jail.directory_files(path)
        else:
            return
        digest.update(b"path\0" + name.encode() + b"\0")
        for file in files:
            digest.update(str(file.relative_to(path) if file != path else "").encode() + b"\0")
            digest.update(hashlib.sha256(jail.read_bytes(file)).digest())
    except (OSError, ValueError):  # ConfinementError is a ValueError
        digest.update(b"unreadable\0" + name.encode() + b"\0")


def load(cache_dir: Path | None, key: str | None) -> Entry | None:
    """The entry stored under `key`, or None if there is none or it is damaged."""
    if cache_dir is None or key is None:
        return None
    payload = read_verified(cache_dir / f"{key}.bin")
    if payload is None:
        return None
    try:
        size = int.from_bytes(payload[:4], "little")
        meta = json.loads(payload[4 : 4 + size])
        raw = meta["manifest"]
        manifest = None if raw is None else decode(raw, draft=True)
        return Entry(payload[4 + size :], manifest)
    except (ValueError, KeyError, TypeError, RuneLoadError):
        return None


def read_verified(path: Path) -> bytes | None:
    """The payload of the entry file at `path`, or None if it is missing or fails its digest."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    payload = data[head:]
    if data[: len(MAGIC)] != MAGIC or hashlib.sha256(payload).digest() != data[len(MAGIC):head]:
        return None
    cache_eviction.touch(path)  # last use, for the eviction order
    return payload


def store(cache_dir: Path | None, key: str | None, entry: Entry) -> bool:
    """Write `entry` under `key`; False when the cache directory cannot be written."""
    if cache_dir is None or key is None:
        return False
    manifest = None if entry.manifest is None else to_json_value(entry.manifest)
    meta = json.dumps({"manifest": manifest}, sort_keys=True).encode()
    return write_verified(cache_dir / f"{key}.bin",
                          len(meta).to_bytes(4, "little") + meta + entry.output)


def write_verified(path: Path, payload: bytes) -> bool:
    """Store `payload` at `path` behind MAGIC and its digest, atomically; False on failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".bin", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(temp, path)
    except OSError:
        Path(temp).unlink(missing_ok=True)
        return False
    return True
