"""Link wasm32 objects into a module with wasm-ld (ziglang's, or one on PATH)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


class LinkError(Exception):
    """wasm-ld is missing or refused the object."""


def _wasm_ld() -> list[str]:
    try:
        import ziglang
    except ImportError:
        ziglang = None
    if ziglang is not None:
        zig = Path(ziglang.__file__).parent / "zig"
        if zig.is_file():
            return [str(zig), "wasm-ld"]  # direct: about 3x faster than `python -m ziglang`
        return [sys.executable, "-m", "ziglang", "wasm-ld"]
    found = shutil.which("wasm-ld")
    if found:
        return [found]
    raise LinkError("no wasm-ld found: install the `ziglang` package or put wasm-ld on PATH")


def linker_identity() -> bytes:
    """Which wasm-ld a link runs: its command and its executable's size and modification time.
    The compile cache's fingerprint includes it, since a wasm-ld on PATH is no installed
    distribution whose version the fingerprint would otherwise see change."""
    try:
        command = _wasm_ld()
        info = Path(command[0]).stat()
    except (LinkError, OSError):
        return b"no wasm-ld"
    return "\0".join([*command, str(info.st_size), str(info.st_mtime_ns)]).encode()


def link_wasm(objects: Sequence[bytes], exports: list[str], stack_bytes: int = 16384) -> bytes:
    """A module exporting `exports` and its memory; no entry point, no libc, no growth. The
    objects are linked in order (the pipeline's, then its data tables' if any)."""
    with tempfile.TemporaryDirectory(prefix="runec-") as tmp:
        out_path = Path(tmp) / "rune.wasm"
        paths = [Path(tmp) / f"rune{i}.o" for i in range(len(objects))]
        for path, obj in zip(paths, objects, strict=True):
            path.write_bytes(obj)
        command = [
            *_wasm_ld(),
            "--no-entry",
            "--stack-first",
            "-z", f"stack-size={stack_bytes}",
            "--gc-sections",
            *(f"--export={name}" for name in exports),
            *map(str, paths),
            "-o", str(out_path),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise LinkError(f"wasm-ld failed: {result.stderr.strip() or result.stdout.strip()}")
        return out_path.read_bytes()
