"""The .rune container: section walk, validation, round trip."""

from __future__ import annotations

import json

import pytest
import wasmtime
from rune.abi.container import _custom_section, read_rune, write_rune
from rune.abi.manifest import encode as encode_manifest
from rune.runtime.errors import RuneLoadError
from runekit import double_manifest, double_rune, make_rune, module

WASM = wasmtime.wat2wasm('(module (memory (export "memory") 1))')


def test_round_trip_keeps_module_manifest_and_blobs() -> None:
    man = {"abi_version": 1, "name": "x", "models": [{"blob": {"offset": 2, "length": 3}}]}
    data = write_rune(WASM, man, b"\x00\x01\x02\x03\x04\x05")
    container = read_rune(data)
    assert container.wasm == WASM
    assert container.manifest == man
    assert bytes(container.blobs) == b"\x00\x01\x02\x03\x04\x05"
    assert bytes(container.blob(2, 3)) == b"\x02\x03\x04"
    assert write_rune(container.wasm, container.manifest, container.blobs) == data


def test_manifest_is_compact_sorted_json() -> None:
    data = write_rune(WASM, {"b": 1, "a": [1, 2]}, b"")
    assert b'{"a":[1,2],"b":1}' in data
    assert encode_manifest({"z": "é", "a": 1}) == '{"a":1,"z":"é"}'.encode()


def test_rune_is_still_a_loadable_wasm_module() -> None:
    # Custom sections must not disturb the engine.
    wasmtime.Module(wasmtime.Engine(), double_rune())


def test_rune_sections_found_anywhere_in_the_section_list() -> None:
    # The manifest placed before the code sections (a producer may do that) still reads.
    header, rest = WASM[:8], WASM[8:]
    man = {"abi_version": 1}
    data = (
        header
        + _custom_section("rune.manifest", encode_manifest(man))
        + rest
        + _custom_section("rune.blobs", b"xy")
    )
    container = read_rune(data)
    assert container.manifest == man and bytes(container.blobs) == b"xy"
    assert container.wasm == WASM


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"PK\x03\x04not wasm at all", "not a WebAssembly module"),
        (b"\0as", "truncated file"),
        (b"\0asm\x02\0\0\0", "unsupported WebAssembly binary version 2"),
    ],
)
def test_not_wasm(data: bytes, message: str) -> None:
    with pytest.raises(RuneLoadError, match=message):
        read_rune(data)


def test_truncated_rune() -> None:
    data = double_rune()
    with pytest.raises(RuneLoadError, match="truncated file: section 0 at byte"):
        read_rune(data[:-3])


def test_bad_leb128_section_size() -> None:
    with pytest.raises(RuneLoadError, match="malformed LEB128"):
        read_rune(WASM + b"\x00\xff\xff\xff\xff\xff\x01")
    with pytest.raises(RuneLoadError, match="truncated file"):
        read_rune(WASM + b"\x00\xff")


def test_custom_section_name_past_section_end() -> None:
    with pytest.raises(RuneLoadError, match="name runs past the section"):
        read_rune(WASM + b"\x00\x02\x09ab")


def test_missing_manifest() -> None:
    data = WASM + _custom_section("rune.blobs", b"")
    with pytest.raises(RuneLoadError, match="no rune.manifest custom section"):
        read_rune(data)


def test_plain_wasm_module_is_not_a_rune() -> None:
    with pytest.raises(RuneLoadError, match="no rune.manifest custom section"):
        read_rune(wasmtime.wat2wasm(module("")))


def test_missing_blobs() -> None:
    data = WASM + _custom_section("rune.manifest", b'{"abi_version":1}')
    with pytest.raises(RuneLoadError, match="no rune.blobs custom section"):
        read_rune(data)


def test_duplicate_manifest() -> None:
    data = write_rune(WASM, {}, b"") + _custom_section("rune.manifest", b"{}")
    with pytest.raises(RuneLoadError, match="more than one rune.manifest"):
        read_rune(data)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{nope", "not valid UTF-8 JSON"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_manifest_json(payload: bytes, message: str) -> None:
    data = WASM + _custom_section("rune.manifest", payload) + _custom_section("rune.blobs", b"")
    with pytest.raises(RuneLoadError, match=message):
        read_rune(data)


def test_blob_range_outside_blob_section() -> None:
    man = double_manifest()
    man["models"] = [{"name": "m", "blob": {"offset": 4, "length": 10}}]
    data = write_rune(WASM, man, b"0123456789")
    with pytest.raises(RuneLoadError, match=r"models\[0\] \(m\) blob \[4, 14\) is outside"):
        read_rune(data)


def test_blob_range_must_be_integers() -> None:
    data = write_rune(WASM, {"models": [{"blob": {"offset": -1, "length": 1}}]}, b"x")
    with pytest.raises(RuneLoadError, match="offset must be a non-negative integer"):
        read_rune(data)


def test_write_rejects_non_wasm_and_double_sections() -> None:
    with pytest.raises(ValueError, match="not a WebAssembly module"):
        write_rune(b"hello world", {}, b"")
    with pytest.raises(ValueError, match="already has a rune.manifest"):
        write_rune(write_rune(WASM, {}, b""), {}, b"")


def test_make_rune_manifest_matches() -> None:
    data = make_rune(module(""), {"abi_version": 1, "name": "n"})
    assert json.loads(json.dumps(read_rune(data).manifest)) == {"abi_version": 1, "name": "n"}
