"""Capability readers: RAW, RAND, unsupported kinds, the exact-length rule, --raw mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.runtime.capabilities import (
    CapabilityRequest,
    assign_raw_sources,
    default_registry,
    read_raw,
)
from rune.runtime.errors import CapabilityError
from rune.runtime.manifest import CapabilitySpec, TensorSpec, parse_manifest
from runekit import capability, manifest, tensor


def spec(
    kind: str = "RAW",
    etype: str = "f32",
    dims: tuple[int, ...] = (1, 1),
    args: dict | None = None,
    name: str = "input",
) -> CapabilitySpec:
    return CapabilitySpec(0, name, kind, args or {}, (TensorSpec(0, etype, dims),))


RNG = np.random.default_rng(0)


def test_raw_from_bytes_path_and_array(tmp_path: Path) -> None:
    value = np.array([[1.5]], dtype=np.float32)
    path = tmp_path / "in.bin"
    path.write_bytes(value.tobytes())
    for source in (value.tobytes(), bytearray(value.tobytes()), path, str(path), value):
        data = default_registry.read(spec(), source, RNG)
        assert data.dtype == np.uint8
        assert data.view(np.float32).tolist() == [1.5]


def test_raw_big_endian_array_is_stored_little_endian() -> None:
    value = np.array([1, 2, 3, 4], dtype=">i4")
    data = default_registry.read(spec(etype="i32", dims=(4,)), value, RNG)
    assert data.tobytes() == np.arange(1, 5, dtype="<i4").tobytes()


def test_raw_length_takes_first_bytes() -> None:
    data = default_registry.read(spec(args={"length": 4}), b"\x00\x00\x80\x3fEXTRA", RNG)
    assert data.view(np.float32).tolist() == [1.0]
    # Runefiles may spell the number as a string.
    data = default_registry.read(spec(args={"length": "4"}), b"\x00\x00\x80\x3fEXTRA", RNG)
    assert data.size == 4


def test_raw_wrong_length_names_capability_and_both_sizes() -> None:
    with pytest.raises(CapabilityError) as info:
        default_registry.read(spec(etype="i32", dims=(4,)), b"\x01\x02\x03", RNG)
    message = str(info.value)
    assert 'capability RAW of stage "input"' in message
    assert "3 bytes" in message and "i32[4] needs exactly 16 bytes" in message


def test_raw_length_too_long_for_tensor_mentions_length() -> None:
    with pytest.raises(CapabilityError, match=r"8 bytes \(after taking the first 8 bytes\)"):
        default_registry.read(spec(args={"length": 8}), bytes(10), RNG)


def test_raw_missing_input_uses_peer_wording() -> None:
    with pytest.raises(CapabilityError) as info:
        default_registry.read(spec(name="input"), None, RNG)
    assert 'Unable to load the "RAW" input' in str(info.value)
    assert '"input"' in str(info.value)


def test_raw_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CapabilityError, match="cannot read the input file.*No such file"):
        default_registry.read(spec(), tmp_path / "missing.bin", RNG)


def test_raw_bad_length_arg() -> None:
    with pytest.raises(CapabilityError, match="argument length=-1 is not"):
        default_registry.read(spec(args={"length": -1}), b"1234", RNG)


def test_raw_rejects_other_value_types() -> None:
    with pytest.raises(CapabilityError, match="unsupported input.*int"):
        default_registry.read(spec(), 42, RNG)  # type: ignore[arg-type]


@pytest.mark.parametrize("etype", ["f32", "f64"])
def test_rand_floats_in_unit_interval(etype: str) -> None:
    s = spec("RAND", etype, (1000,))
    values = default_registry.read(s, None, np.random.default_rng(0)).view(s.tensor.dtype)
    assert values.min() >= 0.0 and values.max() < 1.0
    expected = np.random.default_rng(0).random(1000, dtype=s.tensor.dtype.newbyteorder("="))
    np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize("etype", ["u8", "i8", "i16", "u32", "i64"])
def test_rand_ints_cover_the_full_range(etype: str) -> None:
    s = spec("RAND", etype, (4000,))
    values = default_registry.read(s, None, np.random.default_rng(1)).view(s.tensor.dtype)
    info = np.iinfo(s.tensor.dtype)
    assert values.min() >= info.min and values.max() <= info.max
    # Both halves of the range occur, so it is not e.g. only [0, 1).
    assert (values < info.min / 2 + info.max / 2).any() and (values > info.max // 2).any()


def test_rand_is_seeded_and_advances() -> None:
    s = spec("RAND", "u32", (8,))
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    first_a = default_registry.read(s, None, rng_a)
    assert first_a.tobytes() == default_registry.read(s, None, rng_b).tobytes()
    assert default_registry.read(s, None, rng_a).tobytes() != first_a.tobytes()


def test_rand_takes_no_input() -> None:
    with pytest.raises(CapabilityError, match="takes no input"):
        default_registry.read(spec("RAND"), b"1234", RNG)


@pytest.mark.parametrize("kind", ["SOUND", "IMAGE", "FLOAT_IMAGE", "ACCEL"])
def test_other_kinds_not_supported_yet(kind: str) -> None:
    with pytest.raises(CapabilityError, match=f"capability {kind} is not supported yet"):
        default_registry.reader(spec(kind, name="audio"))


def test_unknown_kind() -> None:
    with pytest.raises(CapabilityError, match="unknown capability kind 'TELEPATHY'"):
        default_registry.reader(spec("TELEPATHY"))


def test_new_kind_plugs_in_without_touching_defaults() -> None:
    registry = default_registry.copy()

    def read_sound(req: CapabilityRequest) -> np.ndarray:
        return np.full(req.spec.tensor.count, 7, dtype="<i2")

    registry.register("SOUND", read_sound)
    data = registry.read(spec("SOUND", "i16", (1, 3)), None, RNG)
    assert data.view("<i2").tolist() == [7, 7, 7]
    assert "SOUND" not in default_registry.kinds
    with pytest.raises(ValueError, match="already registered"):
        registry.register("SOUND", read_sound)
    # The exact-length rule also binds plug-ins.
    registry.register("SOUND", lambda req: b"\x00", replace=True)
    with pytest.raises(CapabilityError, match="the input is 1 bytes"):
        registry.read(spec("SOUND", "i16", (1, 3)), None, RNG)


def test_read_raw_refuses_utf8() -> None:
    with pytest.raises(CapabilityError, match="cannot fill a utf8 tensor"):
        read_raw(CapabilityRequest(spec(etype="utf8", dims=(1,)), b"12345678", RNG))


def _raw_manifest(*args: dict) -> object:
    caps = [capability(i, f"c{i}", "RAW", i, a) for i, a in enumerate(args)]
    return parse_manifest(
        manifest(tensors=[tensor(i, "u8", [1]) for i in range(len(args))], capabilities=caps)
    )


def test_assign_one_source_feeds_every_raw_capability() -> None:
    m = _raw_manifest({}, {})
    assert assign_raw_sources(m, ["a.bin"]) == {"c0": "a.bin", "c1": "a.bin"}


def test_assign_several_sources_in_manifest_order() -> None:
    m = _raw_manifest({}, {})
    assert assign_raw_sources(m, ["a", "b"]) == {"c0": "a", "c1": "b"}


def test_assign_by_source_argument() -> None:
    m = _raw_manifest({"source": 1}, {"source": 0})
    assert assign_raw_sources(m, ["a", "b"]) == {"c0": "b", "c1": "a"}
    with pytest.raises(CapabilityError, match="reads raw source 1 but only 1"):
        assign_raw_sources(_raw_manifest({"source": 1}), ["a"])


def test_assign_missing_and_unused_sources() -> None:
    m = _raw_manifest({}, {})
    assert assign_raw_sources(m, []) == {}
    with pytest.raises(CapabilityError, match=r"raw input 2 \(c\) is not read"):
        assign_raw_sources(m, ["a", "b", "c"])
    with pytest.raises(CapabilityError, match="no RAW capability"):
        assign_raw_sources(_raw_manifest(), ["a"])


def test_assign_excludes_named_stages() -> None:
    m = _raw_manifest({}, {})
    assert assign_raw_sources(m, ["b"], exclude={"c0"}) == {"c1": "b"}
