"""Capability feeders: RAW, RAND, the exact-length rule, source assignment, plug-ins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.runtime.capabilities import (
    CapabilityRegistry,
    assign_sources,
    default_registry,
    group_of,
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
    tensor = TensorSpec(id=0, element_type=etype, dimensions=dims)
    return CapabilitySpec(index=0, name=name, kind=kind, args=args or {}, outputs=(tensor,))


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
    with pytest.raises(
        CapabilityError, match='^Unable to load the "RAW" input for stage "input": no input'
    ):
        default_registry.read(spec(name="input"), None, RNG)


def test_raw_unreadable_file_names_capability_and_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.bin"
    with pytest.raises(CapabilityError) as info:
        default_registry.read(spec(), missing, RNG)
    assert str(info.value) == (
        f'Unable to load the "RAW" input for stage "input" from {missing}: '
        "No such file or directory"
    )


def test_raw_bad_length_arg_fails_when_the_feeder_is_made() -> None:
    with pytest.raises(CapabilityError, match="argument length=-1 is not"):
        default_registry.feeder(spec(args={"length": -1}), RNG)


def test_raw_rejects_other_value_types() -> None:
    with pytest.raises(CapabilityError, match="unsupported input type int"):
        default_registry.read(spec(), 42, RNG)  # type: ignore[arg-type]


def test_raw_refuses_utf8() -> None:
    with pytest.raises(CapabilityError, match="cannot fill a utf8 tensor"):
        default_registry.feeder(spec(etype="utf8", dims=(1,)), RNG)


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
    feed_a = default_registry.feeder(s, np.random.default_rng(5))
    feed_b = default_registry.feeder(s, np.random.default_rng(5))
    first = np.asarray(feed_a(None)).tobytes()
    assert first == np.asarray(feed_b(None)).tobytes()
    assert np.asarray(feed_a(None)).tobytes() != first


def test_rand_takes_no_input() -> None:
    with pytest.raises(CapabilityError, match="RAND takes no input"):
        default_registry.read(spec("RAND"), b"1234", RNG)


def test_unknown_kind() -> None:
    with pytest.raises(CapabilityError, match="unknown capability kind 'TELEPATHY'"):
        default_registry.feeder(spec("TELEPATHY"), RNG)


def test_new_kind_plugs_in_without_touching_defaults() -> None:
    registry = default_registry.copy()

    def smell(s: CapabilitySpec, rng: np.random.Generator):  # type: ignore[no-untyped-def]
        return lambda value: np.full(s.tensor.count, 7, dtype="<i2")

    registry.register("SMELL", smell)
    data = registry.read(spec("SMELL", "i16", (1, 3)), None, RNG)
    assert data.view("<i2").tolist() == [7, 7, 7]
    assert "SMELL" not in default_registry.kinds
    with pytest.raises(ValueError, match="already registered"):
        registry.register("SMELL", smell)
    # The exact-length rule also binds plug-ins.
    registry.register("SMELL", lambda s, rng: lambda value: b"\x00", replace=True)
    with pytest.raises(CapabilityError, match="the input is 1 bytes"):
        registry.read(spec("SMELL", "i16", (1, 3)), None, RNG)
    with pytest.raises(CapabilityError, match="not supported by this runtime"):
        CapabilityRegistry().feeder(spec("SOUND"), RNG)


# -- positional inputs and the `source` argument ----------------------------------------------


def _manifest(*caps: tuple[str, dict]) -> object:
    return parse_manifest(
        manifest(
            tensors=[tensor(i, "u8", [1]) for i in range(len(caps))],
            capabilities=[capability(i, f"c{i}", k, i, a) for i, (k, a) in enumerate(caps)],
        )
    )


def test_one_source_feeds_every_capability_of_its_kind() -> None:
    m = _manifest(("RAW", {}), ("RAW", {}))
    assert assign_sources(m, {"raw": ["a.bin"]}) == {"c0": "a.bin", "c1": "a.bin"}


def test_several_sources_in_manifest_order() -> None:
    m = _manifest(("RAW", {}), ("RAW", {}))
    assert assign_sources(m, {"raw": ["a", "b"]}) == {"c0": "a", "c1": "b"}


def test_source_argument_picks_by_position_within_the_kind() -> None:
    m = _manifest(("IMAGE", {"source": 1}), ("IMAGE", {"source": 0}), ("SOUND", {}))
    got = assign_sources(m, {"image": ["a.png", "b.jpg"], "sound": ["s.wav"]})
    assert got == {"c0": "b.jpg", "c1": "a.png", "c2": "s.wav"}
    with pytest.raises(
        CapabilityError, match='"IMAGE" input for stage "c0": it reads image source 1 but only 1'
    ):
        assign_sources(_manifest(("IMAGE", {"source": 1})), {"image": ["a.png"]})


def test_image_and_float_image_share_their_sources() -> None:
    m = _manifest(("IMAGE", {"source": 0}), ("FLOAT_IMAGE", {"source": 1}))
    assert assign_sources(m, {"image": ["a.png", "b.png"]}) == {"c0": "a.png", "c1": "b.png"}


def test_missing_and_unused_sources() -> None:
    m = _manifest(("RAW", {}), ("RAW", {}))
    assert assign_sources(m, {}) == {}
    with pytest.raises(CapabilityError, match=r"raw input 2 \(c\) is not read by any RAW"):
        assign_sources(m, {"raw": ["a", "b", "c"]})
    with pytest.raises(CapabilityError, match="1 sound input.* no SOUND capability"):
        assign_sources(m, {"sound": ["x.wav"]})


def test_assign_excludes_named_stages() -> None:
    m = _manifest(("RAW", {}), ("RAW", {}))
    assert assign_sources(m, {"raw": ["b"]}, exclude={"c0"}) == {"c1": "b"}


def test_extensions_route_files_like_the_original() -> None:
    assert [group_of(p) for p in ("a.PNG", "b.jpg", "c.jpeg", "d.wav", "e.csv", "f.bin")] == [
        "image", "image", "image", "sound", "accel", "raw",
    ]  # fmt: skip
    with pytest.raises(CapabilityError, match=r"cannot tell which capability reads x\.txt"):
        group_of("x.txt")
