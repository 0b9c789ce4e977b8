"""The on-disk cache of compiled modules: keyed by content and engine, checked, atomic."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from rune.runtime import compiled
from rune.runtime.host import Rune
from rune.runtime.limits import Limits
from runekit import double_rune, sine_rune


def entries(cache: Path) -> list[Path]:
    return sorted(cache.iterdir())


def test_second_load_uses_the_cached_module(tmp_path: Path) -> None:
    first = Rune.load(double_rune(), cache_dir=tmp_path)
    second = Rune.load(double_rune(), cache_dir=tmp_path)
    assert (first.module_source, second.module_source) == ("compiled", "cached")
    (entry,) = entries(tmp_path)
    assert entry.name == compiled.cache_key(first.container.wasm) + ".cwasm"
    assert entry.read_bytes().startswith(compiled.MAGIC)
    assert second.run({"input": bytes(16)})[0].value.tolist() == [0, 0, 0, 0]


def test_key_covers_the_code_and_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = Rune.load(double_rune()).container.wasm, Rune.load(sine_rune()).container.wasm
    assert compiled.cache_key(a) != compiled.cache_key(b)
    before = compiled.cache_key(a)
    monkeypatch.setattr(compiled, "fingerprint",
                        lambda deadline=True: "wasmtime-99.0.0/Linux-x86_64/epoch")
    assert compiled.cache_key(a) != before


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:100] + bytes(b ^ 0xFF for b in data[100:110]) + data[110:],  # bit rot
        lambda data: b"XXXXXXXX" + data[8:],  # not ours
    ],
)
def test_damaged_entries_are_recompiled_and_replaced(tmp_path: Path, damage) -> None:
    Rune.load(double_rune(), cache_dir=tmp_path)
    (entry,) = entries(tmp_path)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    rune = Rune.load(double_rune(), cache_dir=tmp_path)
    assert rune.module_source == "compiled"
    assert entry.read_bytes() == good
    assert rune.run({"input": bytes(16)})[0].value.tolist() == [0, 0, 0, 0]


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    for make in (double_rune, sine_rune):
        Rune.load(make(), cache_dir=tmp_path)
    assert [p.suffix for p in entries(tmp_path)] == [".cwasm", ".cwasm"]
    assert not [p for p in entries(tmp_path) if p.name.startswith(".tmp-")]


def test_cache_off_or_unwritable(tmp_path: Path) -> None:
    assert Rune.load(double_rune(), cache_dir=None).module_source == "uncached"
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert Rune.load(double_rune(), cache_dir=blocked / "cache").module_source == "uncached"


def test_cache_directory_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RUNE_CACHE_DIR", str(tmp_path))
    assert compiled.default_cache_dir() == tmp_path
    monkeypatch.setenv("RUNE_CACHE_DIR", "off")
    assert compiled.default_cache_dir() is None
    monkeypatch.delenv("RUNE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled.default_cache_dir() == tmp_path / "rune" / "modules"


def test_a_rune_without_a_deadline_is_compiled_without_epoch_checks(tmp_path: Path) -> None:
    """`deadline_s=None` compiles the module on the engine with no epoch checks: another cache
    entry, and the same outputs as the module with them."""
    timed = Rune.load(double_rune(), cache_dir=tmp_path)
    free = Rune.load(double_rune(), cache_dir=tmp_path, limits=Limits(deadline_s=None))
    assert (timed.module_source, free.module_source) == ("compiled", "compiled")
    wasm = timed.container.wasm
    assert compiled.cache_key(wasm, deadline=False) != compiled.cache_key(wasm)
    assert [e.name for e in entries(tmp_path)] == sorted(
        compiled.cache_key(wasm, deadline) + ".cwasm" for deadline in (True, False))
    values = struct.pack("<4i", 1, -2, 3, 1 << 30)
    for rune in (timed, free):
        assert rune.run({"input": values})[0].value.tolist() == [2, -4, 6, -(1 << 31)]
    again = Rune.load(double_rune(), cache_dir=tmp_path, limits=Limits(deadline_s=None))
    assert again.module_source == "cached"
    assert again.run({"input": values})[0].value.tolist() == [2, -4, 6, -(1 << 31)]
