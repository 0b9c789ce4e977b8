"""Read and write the `.rune` container: a wasm module plus `rune.manifest` and `rune.blobs`.

Neither wasmtime API exposes custom sections, so the section list is walked here by hand
(docs/abi.md, "File layout"). Everything read from the file is bounds-checked: a truncated or
hostile file must give a `RuneLoadError`, never an IndexError or a silent misread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .bounded import BoundsError, load_json
from .errors import RuneLoadError
from .manifest import Manifest, encode

WASM_MAGIC = b"\0asm"
WASM_VERSION = b"\x01\0\0\0"
MANIFEST_SECTION = "rune.manifest"
BLOBS_SECTION = "rune.blobs"
_RUNE_SECTIONS = (MANIFEST_SECTION, BLOBS_SECTION)


@dataclass(frozen=True)
class RuneContainer:
    """The three parts of a `.rune`.

    `wasm` is the module without the two rune sections, so `write_rune(c.wasm, c.manifest,
    c.blobs)` rebuilds the same file. `blobs` is a zero-copy view into the file's bytes.
    """

    wasm: bytes
    manifest: dict[str, Any]
    blobs: memoryview

    def blob(self, offset: int, length: int) -> memoryview:
        """Return one blob; ranges were checked by `read_rune` for manifest entries."""
        if offset < 0 or length < 0 or offset + length > len(self.blobs):
            raise RuneLoadError(
                f"blob range [{offset}, {offset + length}) is outside the rune.blobs section "
                f"({len(self.blobs)} bytes)"
            )
        return self.blobs[offset : offset + length]


@dataclass(frozen=True)
class WasmSection:
    id: int
    start: int  # offset of the section's id byte
    payload_start: int
    end: int  # one past the last payload byte
    name: str | None  # custom sections only
    content_start: int  # custom: after the name; otherwise == payload_start


def read_u32(data: bytes | memoryview, pos: int, what: str) -> tuple[int, int]:
    """Decode an unsigned LEB128 u32 at `pos`; return (value, next position)."""
    result = 0
    for i in range(5):
        if pos + i >= len(data):
            raise RuneLoadError(f"truncated file: {what} at byte {pos} runs past the end")
        byte = data[pos + i]
        result |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if i == 4 and byte & 0x70:
                raise RuneLoadError(f"malformed LEB128 {what} at byte {pos}: exceeds 32 bits")
            return result, pos + i + 1
    raise RuneLoadError(f"malformed LEB128 {what} at byte {pos}: longer than 5 bytes")


def check_header(data: bytes | memoryview) -> None:
    if len(data) == 0:
        raise RuneLoadError("not a rune: the file is empty")
    if len(data) < 8:
        if bytes(data[:4]) == WASM_MAGIC[: len(data[:4])] and len(data) > 0:
            raise RuneLoadError(f"truncated file: {len(data)} bytes, shorter than a wasm header")
        raise RuneLoadError("not a rune: the file is not a WebAssembly module (no \\0asm magic)")
    if bytes(data[:4]) != WASM_MAGIC:
        raise RuneLoadError("not a rune: the file is not a WebAssembly module (no \\0asm magic)")
    if bytes(data[4:8]) != WASM_VERSION:
        version = int.from_bytes(bytes(data[4:8]), "little")
        raise RuneLoadError(f"unsupported WebAssembly binary version {version} (expected 1)")


def wasm_sections_of(data: bytes | memoryview) -> Iterator[WasmSection]:
    """Walk the section list after the 8-byte header, checking every bound."""
    pos = 8
    while pos < len(data):
        start = pos
        section_id = data[pos]
        size, payload_start = read_u32(data, pos + 1, f"size of section {section_id}")
        end = payload_start + size
        if end > len(data):
            raise RuneLoadError(
                f"truncated file: section {section_id} at byte {start} declares {size} bytes "
                f"but only {len(data) - payload_start} remain"
            )
        name = None
        content_start = payload_start
        if section_id == 0:
            name_len, name_start = read_u32(data, payload_start, "custom section name length")
            content_start = name_start + name_len
            if content_start > end:
                raise RuneLoadError(
                    f"malformed custom section at byte {start}: its name runs past the section"
                )
            try:
                name = bytes(data[name_start:content_start]).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RuneLoadError(
                    f"malformed custom section at byte {start}: name is not UTF-8"
                ) from exc
        yield WasmSection(section_id, start, payload_start, end, name, content_start)
        pos = end


def _encode_u32(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _custom_section(name: str, content: bytes) -> bytes:
    encoded = name.encode("utf-8")
    payload_len = len(_encode_u32(len(encoded))) + len(encoded) + len(content)
    if payload_len > 0xFFFFFFFF:
        raise ValueError(f"custom section {name} is too large for wasm ({payload_len} bytes)")
    return b"".join((b"\0", _encode_u32(payload_len), _encode_u32(len(encoded)), encoded, content))


def write_rune(wasm: bytes, manifest: Manifest | Mapping[str, Any], blobs: bytes) -> bytes:
    """Append `rune.manifest` and `rune.blobs` to a wasm module; return the `.rune` bytes.

    Raises ValueError if `wasm` is not a wasm module or already carries rune sections, since
    two manifests in one file would make the reader's choice arbitrary.
    """
    try:
        check_header(wasm)
        for section in wasm_sections_of(wasm):
            if section.name in _RUNE_SECTIONS:
                raise ValueError(f"the wasm module already has a {section.name} section")
    except RuneLoadError as exc:
        raise ValueError(f"write_rune: {exc}") from exc
    return b"".join(
        (
            bytes(wasm),
            _custom_section(MANIFEST_SECTION, encode(manifest)),
            _custom_section(BLOBS_SECTION, bytes(blobs)),
        )
    )


def _blob_refs(manifest: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield (where, blob object) for every model, the only entries that point into blobs."""
    entries = manifest.get("models", [])
    if not isinstance(entries, list):
        return  # manifest.py reports the type error with context
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and "blob" in entry:
            yield f"models[{i}] ({entry.get('name', i)})", entry["blob"]


def _check_blob_ranges(manifest: dict[str, Any], blobs_len: int) -> None:
    for where, blob in _blob_refs(manifest):
        if not isinstance(blob, dict):
            raise RuneLoadError(f"bad manifest: {where}.blob must be an object")
        offset, length = blob.get("offset"), blob.get("length")
        for field, value in (("offset", offset), ("length", length)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise RuneLoadError(
                    f"bad manifest: {where}.blob.{field} must be a non-negative integer, "
                    f"got {value!r}"
                )
        if offset + length > blobs_len:
            raise RuneLoadError(
                f"bad manifest: {where} blob [{offset}, {offset + length}) is outside the "
                f"rune.blobs section ({blobs_len} bytes)"
            )


def read_rune(data: bytes | bytearray | memoryview) -> RuneContainer:
    """Split a `.rune` into module, manifest and blobs, validating the layout."""
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
    check_header(view)
    found: dict[str, WasmSection] = {}
    for section in wasm_sections_of(view):
        if section.name in _RUNE_SECTIONS:
            if section.name in found:
                raise RuneLoadError(f"not a valid rune: more than one {section.name} section")
            found[section.name] = section
    for name in _RUNE_SECTIONS:
        if name not in found:
            raise RuneLoadError(
                f"not a rune: the wasm module has no {name} custom section "
                "(was it built by the rune compiler?)"
            )
    msec, bsec = found[MANIFEST_SECTION], found[BLOBS_SECTION]
    try:
        manifest = load_json(bytes(view[msec.content_start : msec.end]), "rune.manifest")
    except BoundsError as exc:
        raise RuneLoadError(f"bad manifest: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuneLoadError(f"bad manifest: rune.manifest is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise RuneLoadError(f"bad manifest: expected a JSON object, got {type(manifest).__name__}")
    blobs = view[bsec.content_start : bsec.end]
    _check_blob_ranges(manifest, len(blobs))
    # Rebuild the module without our sections; wasmtime would skip them anyway, but a clean
    # module makes read/write round-trip and keeps compile caches keyed on code only.
    cut = sorted((msec, bsec), key=lambda s: s.start)
    wasm = b"".join(
        (
            bytes(view[: cut[0].start]),
            bytes(view[cut[0].end : cut[1].start]),
            bytes(view[cut[1].end :]),
        )
    )
    return RuneContainer(wasm=wasm, manifest=manifest, blobs=blobs)
