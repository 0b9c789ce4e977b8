"""The modulo proc block end to end, on tensors big enough to keep a loop, against Python."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from e2e_harness import run_many, run_outputs, run_tool

RUNEFILES = Path(__file__).resolve().parent / "runefiles"


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def rust_rem(a: int, b: int) -> int:
    """Rust's `%` on integers: truncated division, the sign follows the dividend."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


@pytest.fixture(scope="module")
def modulo_runes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("modulo")
    names = ("modulo-i32", "modulo-f32")
    results = run_many(("runec", RUNEFILES / name / "Runefile.yml", "-o", out / f"{name}.rune")
                       for name in names)
    for result in results:
        assert result.returncode == 0, result.explain()
    return {name: out / f"{name}.rune" for name in names}


def test_i32_modulo_follows_the_dividend(modulo_runes: dict[str, Path], tmp_path: Path) -> None:
    values = [7, -7, 9, 10, -(1 << 31), (1 << 31) - 1]
    raw = tmp_path / "input.bin"
    raw.write_bytes(struct.pack("<6i", *values))
    (output,) = run_outputs(run_tool("rune", "run", modulo_runes["modulo-i32"], "--raw", raw))
    (tensor,) = output["tensors"]
    assert tensor["element_type"] == "i32" and tensor["dimensions"] == [2, 3]
    assert tensor["elements"] == [rust_rem(v, 3) for v in values] == [1, -1, 0, 1, -2, 1]


def test_f32_modulo_is_fmod(modulo_runes: dict[str, Path], tmp_path: Path) -> None:
    values = [7.25, -7.25, 0.0, -0.0, 1e30]
    raw = tmp_path / "input.bin"
    raw.write_bytes(struct.pack("<5f", *values))
    (output,) = run_outputs(run_tool("rune", "run", modulo_runes["modulo-f32"], "--raw", raw))
    wrapped, unchanged = output["tensors"]
    # the JSON prints each f32 in its shortest form (1e+30), so compare as f32
    assert [f32(x) for x in unchanged["elements"]] == [f32(v) for v in values]
    expected = [f32(math.fmod(f32(v), -2.5)) for v in values]
    assert wrapped["elements"] == expected == [2.25, -2.25, 0.0, -0.0, 0.0]
    signs = [math.copysign(1.0, x) for x in wrapped["elements"]]
    assert signs == [math.copysign(1.0, f32(v)) for v in values]  # fmod keeps x's sign, even 0
