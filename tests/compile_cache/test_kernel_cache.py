"""The per-kernel cache: a Runefile never compiled before reuses the kernels earlier compiles
built, gives the same bytes as a compile without any cache, and never believes a damaged or
foreign entry (tools/kernel_cache.py). microspeech with one more label, which rebuilds only its
label kernel: test_code_cache.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from rune.tools import compile_cache
from rune.tools.compiler import CompileOptions, compile_runefile

REPO = Path(__file__).resolve().parents[2]
PEER = REPO.parent / "shared" / "peer-suite" / "hotg-rune" / "examples"
SINE = REPO / "examples" / "sine" / "Runefile.yml"


def _compile(cache: Path) -> tuple[bytes, str]:
    options = CompileOptions(kernel_cache=cache)
    rune = compile_runefile(SINE, "rune", options)
    (summary,) = [k[5:] for k in options.timings if k.startswith("pass kernel units")]
    return rune, summary


def _hostile(key: str, extra: str) -> bytes:
    """Valid LLVM IR under the right key and a good digest, but more than a kernel: it also
    defines a function of its own that the pipeline could end up calling, or declares a global
    that is not one of its data tables (`rune.unit.data.*`, ir/data_args.py)."""
    text = ('target triple = "wasm32-unknown-unknown"\n'
            'define void @"rune.unit"(ptr %a, ptr %b) {\n  ret void\n}\n' + extra)
    return key.encode() + b"\0" + text.encode()


@pytest.mark.parametrize("damage", ["flip", "truncate", "moved", "not-ir", "hostile",
                                    "hostile-global"])
def test_a_damaged_or_foreign_entry_is_rebuilt(tmp_path: Path, damage: str):
    cache = tmp_path / "cache"
    good, summary = _compile(cache)
    assert summary == "kernel units: 0 cached, 1 compiled"
    assert _compile(cache) == (good, "kernel units: 1 cached, 0 compiled")
    (entry,) = (cache / "kernels").glob("*.bin")
    payload = compile_cache.read_verified(entry)
    assert payload is not None and payload.startswith(entry.stem.encode() + b"\0")
    if damage == "flip":
        data = bytearray(entry.read_bytes())
        data[len(data) // 2] ^= 0x20
        entry.write_bytes(bytes(data))
    elif damage == "truncate":
        entry.write_bytes(entry.read_bytes()[:-40])
    elif damage == "moved":  # a good entry, stored under another kernel's name
        compile_cache.write_verified(entry, b"0" * 64 + payload[64:])
    elif damage == "not-ir":
        compile_cache.write_verified(entry, entry.stem.encode() + b"\0define garbage")
    elif damage == "hostile":
        compile_cache.write_verified(entry, _hostile(
            entry.stem, 'define void @"rune_run_hook"() {\n  ret void\n}\n'))
    else:
        compile_cache.write_verified(entry, _hostile(
            entry.stem, '@"rune.unit.arena" = external global [4 x i8]\n'))
    assert _compile(cache) == (good, "kernel units: 0 cached, 1 compiled")
    assert compile_cache.read_verified(entry) == payload  # replaced by a good one
    assert _compile(cache) == (good, "kernel units: 1 cached, 0 compiled")


def test_no_cache_directory_compiles_every_kernel_and_stores_nothing(tmp_path: Path):
    options = CompileOptions()
    rune = compile_runefile(SINE, "rune", options)
    assert "pass kernel units: 0 cached, 1 compiled" in options.timings
    assert rune == _compile(tmp_path / "cache")[0] == _compile(tmp_path / "cache")[0]


def test_a_custom_proc_block_stays_in_the_module(tmp_path: Path):
    """A custom kernel's code is the user's Python, not the compiler's: it is never a unit, nor
    is the library kernel (modulo) fused into its loads (at -O2: -O0 fuses nothing, so modulo
    is a unit of its own there)."""
    runefile = REPO / "examples" / "custom_block" / "Runefile.yml"
    options = CompileOptions(opt_level="2", kernel_cache=tmp_path / "cache")
    custom = compile_runefile(runefile, "rune", options)
    units = [k for k in options.timings if k.startswith("pass kernel units")]
    assert units == ["pass kernel units: 0 cached, 0 compiled"]
    assert not (tmp_path / "cache" / "kernels").exists()
    assert custom == compile_runefile(runefile, "rune", CompileOptions(opt_level="2"))


def test_levels_that_run_the_same_passes_share_units(tmp_path: Path):
    """A unit is IR before LLVM optimises: -O1 reuses -O2's and still gives its own bytes;
    -O0 (no cse) builds its own."""
    def compile_at(level: str, cache: Path | None) -> tuple[bytes, list[str]]:
        options = CompileOptions(opt_level=level, kernel_cache=cache)
        rune = compile_runefile(SINE, "rune", options)
        return rune, [k[5:] for k in options.timings if k.startswith("pass kernel units")]

    cache = tmp_path / "cache"
    o2, _ = compile_at("2", cache)
    o1, units = compile_at("1", cache)
    assert units == ["kernel units: 1 cached, 0 compiled"]
    assert o1 == compile_at("1", None)[0] != o2
    assert compile_at("0", cache)[1] == ["kernel units: 0 cached, 1 compiled"]


def _units(runefile: Path, cache: Path, **options) -> tuple[bytes, list[str]]:
    compile_options = CompileOptions(kernel_cache=cache, **options)
    rune = compile_runefile(runefile, "rune", compile_options)
    return rune, [k[5:] for k in compile_options.timings if k.startswith("pass kernel units")]


def test_the_key_covers_the_target(tmp_path: Path):
    """wasm32 and wasm32-mcu share a triple but not CPU features (SIMD128): at one -O level
    they build their own units, and each hit gives that target's bytes. (The model runs by
    handler on both, so both pipelines keep the modulo kernel: compiled on wasm32-mcu by
    default, it would be fused into the model's first layer.)"""
    cache = tmp_path / "cache"
    same = {"opt_level": "2", "models": "handler"}
    wasm, _ = _units(SINE, cache, **same)
    mcu, units = _units(SINE, cache, **same, target="wasm32-mcu")
    assert units == ["kernel units: 0 cached, 1 compiled"] and mcu != wasm
    assert _units(SINE, cache, **same, target="wasm32-mcu") == (
        mcu, ["kernel units: 1 cached, 0 compiled"])


def test_the_key_covers_the_precision(tmp_path: Path):
    """--precision=relaxed changes fft's and noise_filtering's code, not the other two
    kernels': a relaxed compile after an exact one rebuilds exactly those two."""
    runefile = PEER / "microspeech" / "Runefile.yml"
    cache = tmp_path / "cache"
    exact, units = _units(runefile, cache)
    assert units == ["kernel units: 0 cached, 4 compiled"]
    relaxed, units = _units(runefile, cache, precision="relaxed")
    assert units == ["kernel units: 2 cached, 2 compiled"] and relaxed != exact
