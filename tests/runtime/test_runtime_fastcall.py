"""The version-pinned unchecked call path and its public fallback behave the same."""

from __future__ import annotations

import ctypes
import importlib.metadata

import numpy as np
import pytest
import wasmtime
from rune.runtime import fastcall
from rune.runtime.errors import GuestMemoryError, RuneRunError
from rune.runtime.host import Rune
from runekit import (
    SINE_MODEL,
    body_rune,
    checked,
    double_manifest,
    double_rune,
    make_rune,
    module,
    rand_rune,
    sine_manifest,
    sine_rune,
    utf8_rune,
)


def test_the_pinned_version_is_the_installed_one() -> None:
    assert importlib.metadata.version("wasmtime") == fastcall.PINNED_WASMTIME
    path = fastcall.call_path()
    assert (path.name, path.reason, path.fast) == ("unchecked", "", True)
    assert Rune.load(double_rune()).call_path == "unchecked"
    assert fastcall.ARG_STRIDE == 4  # guest.py's import bodies index parameters as a[4 * i]


def test_other_wasmtime_versions_fall_back_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastcall.importlib.metadata, "version", lambda name: "51.0.0")
    path = fastcall._unchecked_path()
    assert not path.fast
    assert path.reason == "wasmtime 51.0.0 is installed; the unchecked path is pinned to 50.0.1"


def test_missing_private_bindings_fall_back_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(wasmtime.Trap, "_from_ptr")
    path = fastcall._unchecked_path()
    assert (
        path.name == "public" and path.reason == "wasmtime's private C bindings lack Trap._from_ptr"
    )


def test_public_path_on_request() -> None:
    rune = Rune.load(double_rune(), fast_path=False)
    assert rune.call_path == "public (the public path was asked for)"


@pytest.mark.parametrize("fast", [True, False])
def test_both_paths_give_the_same_results(fast: bool) -> None:
    double = Rune.load(double_rune(), fast_path=fast)
    values = np.array([3, -4, 5, 2**30], "<i4")
    assert double.run({"input": values})[0].value.tolist() == [6, -8, 10, -(2**31)]
    sine = Rune.load(sine_rune(), fast_path=fast)
    assert sine.run({"input": np.float32(1.5707964).tobytes()})[0].value[0, 0] == pytest.approx(
        0.9612384, abs=1e-5
    )
    assert Rune.load(utf8_rune(), fast_path=fast).run()[0].value == ["hello", "wörld"]


@pytest.mark.parametrize("fast", [True, False])
def test_both_paths_report_traps_and_import_errors_alike(fast: bool) -> None:
    with pytest.raises(RuneRunError, match="the rune trapped: wasm `unreachable` instruction"):
        Rune.load(body_rune("unreachable"), fast_path=fast).run()
    call = "(call $capability_read (i32.const 0) (i32.const 65530) (i32.const 16))"
    rune = Rune.load(body_rune(checked(call), double_manifest()), fast_path=fast)
    with pytest.raises(GuestMemoryError, match="ptr=65530 len=16, outside its memory"):
        rune.run({"input": np.zeros(4, "<i4")})
    body = checked("(call $model_invoke (i32.const 3))")
    bad = make_rune(module(body), sine_manifest(), SINE_MODEL.read_bytes())
    with pytest.raises(RuneRunError, match="the rune named model 3, but the manifest has 1"):
        Rune.load(bad, fast_path=fast).run({"input": b"1234"})


def test_the_trap_slot_is_reset_after_a_trap() -> None:
    rune = Rune.load(body_rune("(if (i32.eqz (i32.load (i32.const 0))) (then unreachable))"))
    for _ in range(3):
        with pytest.raises(RuneRunError, match="unreachable"):
            rune.run()


@pytest.mark.parametrize("fast", [True, False])
def test_outputs_are_bit_identical_run_after_run_and_instance_after_instance(fast: bool) -> None:
    angles = np.linspace(-10, 10, 50, dtype=np.float32)
    runs = []
    for _ in range(2):
        sine = Rune.load(sine_rune(), fast_path=fast)
        runs.append([sine.run({"input": a.tobytes()})[0].value.tobytes() for a in angles])
        runs.append([sine.run({"input": a.tobytes()})[0].value.tobytes() for a in angles])
    assert runs[0] == runs[1] == runs[2] == runs[3]
    rand = [Rune.load(rand_rune("f64", [64], 512), seed=7).run()[0].value.tobytes()
            for _ in range(2)]  # fmt: skip
    assert rand[0] == rand[1]


def test_arg_views_read_and_write_in_place_and_cache_a_bounded_number() -> None:
    words = (ctypes.c_uint32 * 8)(*range(8))
    views = fastcall.ArgViews(8)
    view = views[ctypes.addressof(words)]
    assert view.tolist() == list(range(8)) and views[ctypes.addressof(words)] is view
    view[0] = 0xFFFFFFFF
    assert words[0] == 0xFFFFFFFF
    arrays = [(ctypes.c_uint32 * 8)(i) for i in range(fastcall.ArgViews.MAX_VIEWS + 10)]
    assert [views[ctypes.addressof(a)][0] for a in arrays] == list(range(len(arrays)))
    assert len(views) == fastcall.ArgViews.MAX_VIEWS  # past that, made afresh, not kept
