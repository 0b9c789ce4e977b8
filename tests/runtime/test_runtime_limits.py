"""Safety limits, each against a rune built to break it: memory, deadline, model and tensor size."""

from __future__ import annotations

import time

import pytest
from rune.runtime.errors import LimitError
from rune.runtime.host import Rune
from rune.runtime.limits import MIB, Limits, parse_seconds, parse_size
from runekit import body_rune, make_rune, manifest, module, sine_rune, tensor

LOOP_FOREVER = "(loop $again (br $again))"


def test_memory_cap_refuses_a_rune_whose_memory_is_too_big() -> None:
    greedy = make_rune(module("", pages=1024), manifest(tensors=[]))  # 64 MiB up front
    with pytest.raises(LimitError) as info:
        Rune.load(greedy, limits=Limits(memory_bytes=16 * MIB))
    assert "initial memory is larger than the memory cap of 16777216 bytes" in str(info.value)
    assert Rune.load(greedy, limits=Limits(memory_bytes=64 * MIB)).run() is not None


def test_memory_cannot_grow_past_its_start() -> None:
    body = """
    (block $full (loop $more
      (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $more)))
    (if (local.get $i) (then (return (i32.const 9))))"""
    assert list(Rune.load(body_rune(body)).run()) == []  # every grow failed at once


@pytest.mark.parametrize("fast", [True, False])
def test_deadline_stops_a_rune_that_never_returns(fast: bool) -> None:
    rune = Rune.load(body_rune(LOOP_FOREVER), limits=Limits(deadline_s=0.2), fast_path=fast)
    for _ in range(2):  # and the instance stays usable
        start = time.monotonic()
        with pytest.raises(LimitError) as info:
            rune.run()
        elapsed = time.monotonic() - start
        assert 0.19 < elapsed < 1.5
        assert str(info.value) == (
            "the rune ran past its deadline of 0.2 s and was stopped (limit deadline_s / --timeout)"
        )


def test_deadline_does_not_touch_quick_runs() -> None:
    rune = Rune.load(body_rune("(nop)"), limits=Limits(deadline_s=0.05))
    for _ in range(3):
        assert list(rune.run()) == []
        time.sleep(0.03)  # many ticks pass between runs; each run gets its full time


def test_deadline_covers_the_start_function() -> None:
    wat = module("", extra=f"(func $start {LOOP_FOREVER}) (start $start)")
    with pytest.raises(LimitError, match="start function ran past the deadline"):
        Rune.load(make_rune(wat, manifest(tensors=[])), limits=Limits(deadline_s=0.1))


def test_model_size_bound() -> None:
    with pytest.raises(LimitError) as info:
        Rune.load(sine_rune(), limits=Limits(max_model_bytes=1000))
    assert str(info.value) == (
        'model "sine" is 2640 bytes, more than the limit of 1000 '
        "(limit max_model_bytes / --max-model-size)"
    )
    assert Rune.load(sine_rune(), limits=Limits(max_model_bytes=2640))


def test_tensor_size_bound_is_checked_before_anything_is_allocated() -> None:
    huge = manifest(tensors=[tensor(0, "f32", [100_000, 100_000])])
    with pytest.raises(LimitError) as info:
        Rune.load(make_rune(module(""), huge))
    assert str(info.value) == (
        "tensor 0 (f32[100000,100000]) is 40000000000 bytes, more than the limit of 268435456 "
        "(limit max_tensor_bytes / --max-tensor-size)"
    )
    assert Rune.load(make_rune(module(""), huge), limits=Limits(max_tensor_bytes=None))


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="memory_bytes must be a positive integer"):
        Limits(memory_bytes=0)
    with pytest.raises(ValueError, match="deadline_s must be positive seconds"):
        Limits(deadline_s=-1)
    assert Limits(deadline_s=None).deadline_ticks is None


@pytest.mark.parametrize(
    ("text", "size"),
    [("4096", 4096), ("64M", 64 * MIB), ("1GiB", 1 << 30), ("1.5k", 1536), ("none", None)],
)
def test_parse_size(text: str, size: int | None) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "seconds"), [("2.5", 2.5), ("500ms", 0.5), ("3s", 3.0),
                                               ("off", None)])  # fmt: skip
def test_parse_seconds(text: str, seconds: float | None) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["lots", "-3", "0", "1x"])
def test_bad_sizes_and_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)
    with pytest.raises(ValueError):
        parse_seconds(text + "q")
