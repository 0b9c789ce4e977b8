"""The host path's fast cases (docs/runtime.md, "Host overhead"): an array input of exactly the
tensor's dtype and dimensions is copied without a buffer export, and utf8 outputs are read
straight from a u32 view of memory. Each gives what the checked path gives, and anything the
fast case does not prove safe still gets the checked path's error."""

from __future__ import annotations

import numpy as np
import pytest
from rune.runtime.errors import CapabilityError, GuestMemoryError, RuneRunError
from rune.runtime.host import Rune
from runekit import (
    capability,
    checked,
    echo_rune,
    make_rune,
    manifest,
    module,
    output,
    output_only_rune,
    tensor,
)

VALUES = np.arange(-6, 6, dtype="<i2").reshape(2, 6) * 1000


@pytest.fixture(scope="module")
def echo() -> Rune:
    """RAW i16[2,6] copied to output 0."""
    return Rune.load(echo_rune("RAW", "i16", [2, 6]))


def _echoed(rune: Rune, value: object) -> np.ndarray:
    (out,) = rune.run({"in0": value})
    return out.tensors[0].data


@pytest.mark.parametrize(
    "value",
    [
        VALUES,  # the fast case: the tensor's dtype and dimensions
        np.asfortranarray(VALUES),  # the same elements, laid out column-major
        np.repeat(VALUES, 2, axis=1)[:, ::2],  # strided: C order is still the tensor's
        VALUES.astype(">i2"),  # big-endian: swapped to the guest's order (as_u8)
        VALUES.reshape(-1),  # other dimensions, same bytes (as_u8)
        VALUES.tobytes(),  # bytes
    ],
    ids=["exact", "fortran", "strided", "big-endian", "flat", "bytes"],
)
def test_every_input_form_feeds_the_same_tensor(echo: Rune, value: object) -> None:
    np.testing.assert_array_equal(_echoed(echo, value), VALUES)


def test_fast_and_checked_inputs_alternate(echo: Rune) -> None:
    """The fast case keeps a typed view of the slot: later runs, of any input form, see
    their own values."""
    for step in range(3):
        values = VALUES + step
        np.testing.assert_array_equal(_echoed(echo, values), values)
        np.testing.assert_array_equal(_echoed(echo, (values + 7).tobytes()), values + 7)


def test_same_size_other_dtype_is_fed_as_raw_bytes(echo: Rune) -> None:
    """As before the fast case: any array of the tensor's byte length is its bytes."""
    other = VALUES.view("<u2")
    np.testing.assert_array_equal(_echoed(echo, other), VALUES)


def test_wrong_size_array_gets_the_checked_error(echo: Rune) -> None:
    with pytest.raises(CapabilityError, match="the input is 22 bytes but its tensor i16\\[2,6\\]"):
        _echoed(echo, VALUES.reshape(-1)[:11])


def _twice_rune(second_ptr: int, second_len: int = 24) -> bytes:
    """Capability 0 (i16[2,6]) read at 0 and again at `second_ptr`, both written out."""
    calls = [
        "(call $capability_read (i32.const 0) (i32.const 0) (i32.const 24))",
        f"(call $capability_read (i32.const 0) (i32.const {second_ptr}) "
        f"(i32.const {second_len}))",
        "(call $output_write (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 24))",
        f"(call $output_write (i32.const 0) (i32.const 1) (i32.const {second_ptr}) "
        "(i32.const 24))",
    ]
    man = manifest(
        tensors=[tensor(0, "i16", [2, 6])],
        capabilities=[capability(0, "in0", "RAW", 0)],
        outputs=[output(0, "out", [0, 0])],
    )
    return make_rune(module("\n".join(checked(c) for c in calls)), man)


def test_a_slot_read_at_another_address_gets_its_own_view() -> None:
    """An odd address too: the typed view is unaligned, the bytes are the same."""
    rune = Rune.load(_twice_rune(101))
    for step in range(2):
        first, second = rune.run({"in0": VALUES + step})[0].tensors
        np.testing.assert_array_equal(first.data, VALUES + step)
        np.testing.assert_array_equal(second.data, VALUES + step)


@pytest.mark.parametrize(
    ("ptr", "length", "error", "message"),
    [
        (65530, 24, GuestMemoryError, "ptr=65530 len=24, outside its memory"),
        (64, 22, RuneRunError, "passed 22 bytes but the manifest declares i16\\[2,6\\]"),
    ],
)
def test_hostile_read_of_an_array_input_gets_the_checked_error(
    ptr: int, length: int, error: type[Exception], message: str
) -> None:
    rune = Rune.load(_twice_rune(ptr, length))
    with pytest.raises(error, match=message):
        rune.run({"in0": VALUES})


def test_unaligned_utf8_pairs_take_the_checked_path() -> None:
    """Pairs at address 1 (the fast case reads aligned u32 words only): same strings."""
    pairs = "\\0b\\00\\00\\00\\02\\00\\00\\00"
    rune = output_only_rune("utf8", [1], 1, 8, data=f"\\00{pairs}\\00\\00up")
    assert Rune.load(rune).run()[0].tensors[0].data == ["up"]


def test_an_exact_array_is_fed_as_it_is(echo: Rune) -> None:
    """No as_u8 view and no memoryview: capability_read copies the array itself."""
    _echoed(echo, VALUES)
    assert echo._guest.inputs[0] is VALUES
    _echoed(echo, VALUES.astype(">i2"))
    assert isinstance(echo._guest.inputs[0], memoryview)


def test_the_checked_capability_read_takes_arrays_too() -> None:
    """wasm3's imports are all the checked ones: an array `_prepare` passes through as it is
    reaches `_capability_read`, which converts it (as_u8) to the same bytes."""
    from rune.runtime.wasm3_host import Wasm3Rune

    rune = Wasm3Rune.load(echo_rune("RAW", "i16", [2, 6]))
    for value in (VALUES, np.repeat(VALUES, 2, axis=1)[:, ::2]):
        np.testing.assert_array_equal(rune.run({"in0": value})[0].tensors[0].data, VALUES)
