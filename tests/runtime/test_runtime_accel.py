"""ACCEL: headerless x,y,z CSV rows as f32, all of them or the first `samples`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.runtime.capabilities import default_registry
from rune.runtime.errors import CapabilityError
from rune.runtime.host import Rune
from rune.runtime.manifest import CapabilitySpec, TensorSpec
from runekit import PEER, echo_rune

RING = PEER / "integration-tests/run-pass/gesture-ring/example_ring.csv"
RNG = np.random.default_rng(0)


def accel_spec(rows: int, args: dict | None = None) -> CapabilitySpec:
    tensor = TensorSpec(id=0, element_type="f32", dimensions=(1, rows, 3, 1))
    return CapabilitySpec(index=0, name="accel", kind="ACCEL", args=args or {}, outputs=(tensor,))


def feed(value: object, rows: int, args: dict | None = None) -> np.ndarray:
    return default_registry.read(accel_spec(rows, args), value, RNG).view("<f4").reshape(-1, 3)  # type: ignore[arg-type]


def test_peer_csv_rows_as_f32() -> None:
    lines = [line for line in RING.read_text().splitlines() if line.strip()]
    expected = np.array([[float(v) for v in line.split(",")] for line in lines], np.float32)
    assert expected.shape == (128, 3)
    # The peer Runefile says `n: 128`, which the original never read: all rows are used.
    rune = Rune.load(echo_rune("ACCEL", "f32", [1, 128, 3, 1], {"n": 128}))
    (out,) = rune.run({"in0": RING})
    np.testing.assert_array_equal(out.value.reshape(128, 3), expected)
    assert expected[0].tolist() == [np.float32(3.296075439453125), np.float32(4.217367553710938),
                                    np.float32(5.374179077148438)]  # fmt: skip


def test_samples_takes_the_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("1,2,3\n\n 4 , 5 ,6\n7,8,9\n")
    assert feed(path, 2, {"samples": 2}).tolist() == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(CapabilityError, match="5 samples were requested but only 3 are available"):
        feed(path, 5, {"samples": 5})


def test_more_rows_than_the_tensor_is_the_original_length_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(CapabilityError, match="the input is 36 bytes but its tensor"):
        feed(path, 2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,2,3\n4,5\n", "line 2: expected 3 columns (x,y,z), found 2"),
        ("1,2,3\n4,five,6\n", "line 2: 'five' is not a number"),
        ("\n\n", "no samples (the file has no x,y,z rows)"),
    ],
)
def test_bad_csv_names_the_capability_file_and_line(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CapabilityError) as info:
        feed(path, 2)
    assert (
        str(info.value)
        == f'Unable to load the "ACCEL" input for stage "accel" from {path}: {reason}'
    )
