"""The runtime's wasmtime Engine, and an on-disk cache of modules compiled for it.

Compiling a rune's module costs milliseconds to seconds; loading a serialized one costs well
under a millisecond. Cache entries are keyed by the SHA-256 of the wasm bytes and the engine's
fingerprint (wasmtime version, machine, the settings below), so a new wasmtime or a different
configuration never reads an old entry.

An entry is `MAGIC`, the SHA-256 of its payload, then the payload (`Module.serialize()`).
wasmtime trusts serialized code completely, so the digest is checked before deserializing:
a truncated or corrupted file is recompiled and replaced, never run. Entries are written to a
temporary name in the same directory and renamed into place, so a reader never sees half a
file and a file in use is never overwritten. The cache is best-effort: when its directory
cannot be written, modules are compiled in memory.

Directory: `$RUNE_CACHE_DIR` if set (empty or `off` disables the cache), else
`$XDG_CACHE_HOME/rune/modules`, else `~/.cache/rune/modules`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import tempfile
from pathlib import Path

import wasmtime

MAGIC = b"RUNEMOD1"
_DIGEST = 32

_engines: dict[bool, wasmtime.Engine] = {}


def engine(deadline: bool = True) -> wasmtime.Engine:
    """The process-wide Engine for runes with a deadline (epoch interruption: the compiled code
    checks the epoch at every function entry and loop back-edge) or without one (`deadline_s`
    None: no checks compiled in, which makes microspeech's run about 11% faster). Creating one
    is costly, and modules compiled for it are shared by every rune loaded with it."""
    eng = _engines.get(deadline)
    if eng is None:
        config = wasmtime.Config()
        config.epoch_interruption = deadline
        eng = _engines[deadline] = wasmtime.Engine(config)
    return eng


def fingerprint(deadline: bool = True) -> str:
    """What besides the wasm bytes decides the compiled code."""
    try:
        version = importlib.metadata.version("wasmtime")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    checks = "epoch" if deadline else "no-epoch"
    return f"wasmtime-{version}/{platform.system()}-{platform.machine()}/{checks}"


def default_cache_dir() -> Path | None:
    """Where compiled modules go, or None when the cache is turned off."""
    configured = os.environ.get("RUNE_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rune" / "modules"


def cache_key(wasm: bytes, deadline: bool = True) -> str:
    return hashlib.sha256(fingerprint(deadline).encode() + b"\0" + wasm).hexdigest()


def compile_module(wasm: bytes, cache_dir: Path | None,
                   deadline: bool = True) -> tuple[wasmtime.Module, str]:
    """The compiled module and how it was obtained: "cached", "compiled" (and stored) or
    "uncached" (no usable cache directory). Raises wasmtime.WasmtimeError for invalid wasm."""
    eng = engine(deadline)
    if cache_dir is None:
        return wasmtime.Module(eng, wasm), "uncached"
    path = cache_dir / f"{cache_key(wasm, deadline)}.cwasm"
    module = _read_entry(eng, path)
    if module is not None:
        return module, "cached"
    module = wasmtime.Module(eng, wasm)
    return module, "compiled" if _write_entry(path, module.serialize()) else "uncached"


def _read_entry(eng: wasmtime.Engine, path: Path) -> wasmtime.Module | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    payload = data[len(MAGIC) + _DIGEST :]
    if (
        data[: len(MAGIC)] != MAGIC
        or hashlib.sha256(payload).digest() != data[len(MAGIC) : len(MAGIC) + _DIGEST]
    ):
        return None
    try:
        return wasmtime.Module.deserialize(eng, payload)
    except wasmtime.WasmtimeError:  # written by an incompatible engine: recompile
        return None


def _write_entry(path: Path, payload: bytes | bytearray) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".cwasm", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + hashlib.sha256(payload).digest() + bytes(payload))
        os.replace(temp, path)
    except OSError:
        Path(temp).unlink(missing_ok=True)
        return False
    return True
