"""Running hand-written runes through `Rune`: the ABI end to end, and every failure mode."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from rune.abi.container import write_rune
from rune.runtime.capabilities import CapabilityRegistry, InputValue, default_registry
from rune.runtime.errors import (
    CapabilityError,
    GuestMemoryError,
    ModelError,
    RuneLoadError,
    RuneRunError,
)
from rune.runtime.handlers import HandlerRegistry, ModelTensorInfo
from rune.runtime.host import Rune
from rune.runtime.manifest import CapabilitySpec
from runekit import (
    PEER,
    SINE_MODEL,
    body_rune,
    checked,
    double_manifest,
    double_rune,
    make_rune,
    manifest,
    multi_raw_rune,
    output,
    output_only_rune,
    rand_rune,
    sine_rune,
    tensor,
    utf8_rune,
)


def i32(*values: int) -> bytes:
    return np.array(values, dtype="<i4").tobytes()


def test_double_rune_doubles_and_is_reusable() -> None:
    rune = Rune.load(double_rune())
    assert rune.manifest.name == "double"
    for values in ([1, 2, 3, 4], [-5, 0, 7, 2**30], [9, 9, 9, 9]):
        (out,) = rune.run({"input": i32(*values)})
        assert (out.name, out.kind) == ("serial", "serial")
        (t,) = out.tensors
        assert (t.element_type, t.dimensions) == ("i32", (4,))
        assert isinstance(t.data, np.ndarray) and t.data.dtype == np.int32
        assert t.data.tolist() == [2 * v if abs(2 * v) < 2**31 else -(2**31) for v in values]


def test_inputs_from_path_and_array(write_file) -> None:
    rune = Rune.load(write_file("double.rune", double_rune()))
    path = write_file("in.bin", i32(1, 2, 3, 4))
    assert rune.run({"input": path})[0].tensors[0].data.tolist() == [2, 4, 6, 8]
    assert rune.run({"input": str(path)})[0].tensors[0].data.tolist() == [2, 4, 6, 8]
    arr = np.array([5, 6, 7, 8], dtype=np.int32)
    assert rune.run({"input": arr})[0].tensors[0].data.tolist() == [10, 12, 14, 16]


def test_output_is_a_copy_not_a_view_of_guest_memory() -> None:
    rune = Rune.load(double_rune())
    first = rune.run({"input": i32(1, 1, 1, 1)})[0].tensors[0].data
    rune.run({"input": i32(5, 5, 5, 5)})
    assert first.tolist() == [2, 2, 2, 2]


def test_guest_log_reaches_logger_and_callback(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[int, str]] = []
    rune = Rune.load(double_rune(), on_log=lambda level, msg: seen.append((level, msg)))
    with caplog.at_level(logging.INFO, logger="rune.guest"):
        rune.run({"input": i32(1, 2, 3, 4)})
    assert seen == [(2, "doubling")]
    assert "double: doubling" in caplog.text


def test_sine_model_through_the_abi() -> None:
    rune = Rune.load(sine_rune())
    (out,) = rune.run({"input": np.float32(1.5707964).tobytes()})
    (t,) = out.tensors
    assert (t.element_type, t.dimensions) == ("f32", (1, 1))
    assert t.data[0, 0] == pytest.approx(0.9612384, abs=1e-5)
    assert abs(t.data[0, 0] - 1.0) < 0.1
    # Peer case `sine` feeds 0.8 (its mod360 is the identity there): expected 0.69727874.
    (out,) = rune.run({"input": PEER / "integration-tests/run-pass/sine/input.bin"})
    assert out.tensors[0].data[0, 0] == pytest.approx(0.69727874, abs=1e-5)


def test_utf8_output_follows_pointer_pairs() -> None:
    (out,) = Rune.load(utf8_rune()).run()
    (t,) = out.tensors
    assert (t.element_type, t.dimensions, t.data) == ("utf8", (2,), ["hello", "wörld"])


def test_utf8_string_out_of_bounds() -> None:
    with pytest.raises(GuestMemoryError, match="string 0: the rune passed ptr=65534 len=5"):
        Rune.load(utf8_rune(first_ptr=65534)).run()


def test_utf8_invalid_bytes() -> None:
    rune = output_only_rune("utf8", [1], 0, 8, data="\\08\\00\\00\\00\\02\\00\\00\\00\\ff\\fe")
    with pytest.raises(RuneRunError, match="string 0 is not valid UTF-8"):
        Rune.load(rune).run()


def test_multiple_raw_capabilities_and_slots() -> None:
    data = (PEER / "integration-tests/run-pass/multiple-outputs/input.bin").read_bytes()
    (out,) = Rune.load(multi_raw_rune()).run({"byte_input": data, "integer_input": data})
    first, second = out.tensors
    assert first.element_type == "u8"
    assert first.data.tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]
    assert second.data.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("etype", "dims", "hexdata", "expected"),
    [
        ("u16", [2], "\\01\\00\\ff\\ff", [1, 65535]),
        ("i8", [2], "\\ff\\7f", [-1, 127]),
        ("f64", [1], "\\00\\00\\00\\00\\00\\00\\f0\\3f", [1.0]),
        ("u64", [1], "\\ff\\ff\\ff\\ff\\ff\\ff\\ff\\ff", [2**64 - 1]),
    ],
)
def test_output_element_types(etype: str, dims: list[int], hexdata: str, expected: list) -> None:
    nbytes = len(hexdata) // 3
    # Offset 1: the tensor is deliberately unaligned in guest memory.
    rune = output_only_rune(etype, dims, 1, nbytes, data="\\00" + hexdata)
    (out,) = Rune.load(rune).run()
    assert out.tensors[0].data.tolist() == expected


def test_rand_is_seeded_per_rune() -> None:
    data = rand_rune("f32", [4], 16)
    a, b, c = Rune.load(data, seed=3), Rune.load(data, seed=3), Rune.load(data, seed=4)
    first = a.run()[0].tensors[0].data
    np.testing.assert_array_equal(first, b.run()[0].tensors[0].data)
    np.testing.assert_array_equal(
        first.reshape(-1), np.random.default_rng(3).random(4, dtype=np.float32)
    )
    assert not np.array_equal(first, c.run()[0].tensors[0].data)
    assert not np.array_equal(first, a.run()[0].tensors[0].data)  # the generator advances
    assert ((first >= 0) & (first < 1)).all()


def test_rand_default_seed_is_zero() -> None:
    values = Rune.load(rand_rune("u8", [8], 8)).run()[0].tensors[0].data
    expected = np.random.default_rng(0).integers(0, 255, size=8, dtype=np.uint8, endpoint=True)
    assert values.tolist() == expected.tolist()


# -- failures ----------------------------------------------------------------------------------


def test_missing_raw_input_message() -> None:
    rune = Rune.load(double_rune())
    with pytest.raises(CapabilityError) as info:
        rune.run({})
    assert 'Unable to load the "RAW" input for stage "input"' in str(info.value)


def test_wrong_raw_length() -> None:
    with pytest.raises(CapabilityError, match="the input is 12 bytes but its tensor i32"):
        Rune.load(double_rune()).run({"input": i32(1, 2, 3)})


def test_unknown_input_name() -> None:
    with pytest.raises(CapabilityError, match='no capability stage named "inptu".*input'):
        Rune.load(double_rune()).run({"input": i32(1, 2, 3, 4), "inptu": b""})


def test_unknown_capability_fails_at_load() -> None:
    with pytest.raises(CapabilityError, match="unknown capability kind 'SMELL'"):
        Rune.load(double_rune(kind="SMELL"))


def test_capability_without_factory_fails_at_load() -> None:
    with pytest.raises(CapabilityError, match="capability ACCEL is not supported by this runtime"):
        Rune.load(double_rune(kind="ACCEL"), capabilities=CapabilityRegistry())


def test_plugged_in_capability_runs() -> None:
    registry = default_registry.copy()
    registry.register(
        "SMELL",
        lambda spec, rng: lambda value: np.arange(4, dtype="<i4") + int(value or 0),  # type: ignore[arg-type]
    )
    (out,) = Rune.load(double_rune(kind="SMELL"), capabilities=registry).run({"input": 10})
    assert out.tensors[0].data.tolist() == [20, 22, 24, 26]


def test_trap_becomes_run_error() -> None:
    rune = Rune.load(body_rune("unreachable"))
    with pytest.raises(RuneRunError, match="the rune trapped: wasm `unreachable` instruction"):
        rune.run()
    # A trapped instance can run again.
    with pytest.raises(RuneRunError, match="trapped"):
        rune.run()


def test_out_of_bounds_memory_access_trap() -> None:
    with pytest.raises(RuneRunError, match="trapped: .*out of bounds memory access"):
        Rune.load(body_rune("(drop (i32.load (i32.const 70000)))")).run()


def test_nonzero_status_from_the_rune_itself() -> None:
    with pytest.raises(RuneRunError, match="the rune failed with status 7"):
        Rune.load(body_rune("(return (i32.const 7))")).run()


def test_import_failure_status_propagates_and_keeps_host_message() -> None:
    # The rune returns the import's status, and the host raises its own recorded error.
    man = double_manifest()
    body = checked("(call $capability_read (i32.const 3) (i32.const 0) (i32.const 16))")
    with pytest.raises(RuneRunError, match="the rune named capability 3, but the manifest has 1"):
        Rune.load(body_rune(body, man)).run({"input": i32(1, 2, 3, 4)})


def test_import_failure_ignored_by_rune_still_fails_the_run() -> None:
    body = (
        "(drop (call $output_write (i32.const 0) (i32.const 0) (i32.const 65530) (i32.const 16)))"
    )
    man = manifest(tensors=[tensor(0, "i32", [4])], outputs=[output(0, "serial", [0])])
    with pytest.raises(GuestMemoryError, match="ptr=65530 len=16, outside its memory \\(65536"):
        Rune.load(body_rune(body, man)).run()


def test_out_of_bounds_pointer_from_guest() -> None:
    rune = Rune.load(output_only_rune("i32", [4], 65530, 16))
    with pytest.raises(GuestMemoryError) as info:
        rune.run()
    assert 'output_write for output "serial" slot 0' in str(info.value)
    assert "outside its memory (65536 bytes)" in str(info.value)


def test_negative_i32_pointer_is_treated_as_u32() -> None:
    with pytest.raises(GuestMemoryError, match="ptr=4294967295"):
        Rune.load(output_only_rune("u8", [1], -1, 1)).run()


def test_capability_read_out_of_bounds() -> None:
    man = double_manifest()
    body = checked("(call $capability_read (i32.const 0) (i32.const 65535) (i32.const 16))")
    with pytest.raises(GuestMemoryError, match='capability_read for stage "input"'):
        Rune.load(body_rune(body, man)).run({"input": i32(1, 2, 3, 4)})


def test_log_out_of_bounds_fails_the_run() -> None:
    with pytest.raises(GuestMemoryError, match="log: the rune passed"):
        Rune.load(body_rune("(call $log (i32.const 2) (i32.const 65000) (i32.const 1000))")).run()


def test_length_that_disagrees_with_manifest() -> None:
    with pytest.raises(RuneRunError, match="passed 8 bytes but the manifest declares i32\\[4\\]"):
        Rune.load(output_only_rune("i32", [4], 0, 8)).run()


def test_output_never_written() -> None:
    man = manifest(tensors=[tensor(0, "u8", [1])], outputs=[output(0, "serial", [0])])
    with pytest.raises(RuneRunError, match='without writing output "serial" slot 0'):
        Rune.load(body_rune("", man)).run()


def test_memory_grow_is_refused() -> None:
    # ABI v1: a rune never grows its memory; the host enforces it so its view stays valid.
    body = "(if (i32.ne (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 9))))"
    assert list(Rune.load(body_rune(body)).run()) == []


def test_unknown_model_format_at_load() -> None:
    with pytest.raises(ModelError, match='no handler for model format "tensorflow"'):
        Rune.load(sine_rune("tensorflow"))


def test_custom_handler_used_by_a_rune() -> None:
    class Negate:
        inputs = (ModelTensorInfo("f32", (1, 1), 4),)
        outputs = (ModelTensorInfo("f32", (1, 1), 4),)

        def __init__(self, model: memoryview, spec: object) -> None:
            self.value = np.zeros((1, 1), np.float32)

        def set_input(self, slot: int, data: np.ndarray) -> None:
            assert data.dtype == np.float32 and data.shape == (1, 1)  # a typed guest view
            self.value = -data.copy()

        def invoke(self) -> None:
            pass

        def get_output(self, slot: int) -> np.ndarray:
            return self.value

    handlers = HandlerRegistry({"negate": Negate})
    rune = Rune.load(sine_rune("negate"), handlers=handlers)
    (out,) = rune.run({"input": np.float32(2.5).tobytes()})
    assert out.tensors[0].data.tolist() == [[-2.5]]


def test_handler_exception_recorded_not_trapped() -> None:
    class Broken:
        def __init__(self, model: memoryview, spec: object) -> None:
            pass

        def set_input(self, slot: int, data: np.ndarray) -> None:
            raise KeyError("surprise")

        def invoke(self) -> None:
            pass

        def get_output(self, slot: int) -> bytes:
            return b""

    rune = Rune.load(sine_rune("broken"), handlers=HandlerRegistry({"broken": Broken}))
    with pytest.raises(RuneRunError, match="internal error in import _model_set_input"):
        rune.run({"input": bytes(4)})


def test_model_output_size_mismatch() -> None:
    class Short:
        def __init__(self, model: memoryview, spec: object) -> None:
            pass

        def set_input(self, slot: int, data: np.ndarray) -> None:
            pass

        def invoke(self) -> None:
            pass

        def get_output(self, slot: int) -> bytes:
            return b"\x00\x00"

    rune = Rune.load(sine_rune("short"), handlers=HandlerRegistry({"short": Short}))
    with pytest.raises(ModelError, match='model "sine" output 0 is 2 bytes'):
        rune.run({"input": bytes(4)})


@pytest.mark.parametrize(
    ("wat", "message"),
    [
        (
            '(module (import "env" "f" (func)) (memory (export "memory") 1) '
            '(func (export "rune_run") (result i32) (i32.const 0)))',
            'needs import "env" "f", which ABI v1 does not provide',
        ),
        (
            '(module (import "rune" "log" (func (param i32))) (memory (export "memory") 1) '
            '(func (export "rune_run") (result i32) (i32.const 0)))',
            'import "rune" "log" has the wrong type',
        ),
        (
            '(module (func (export "rune_run") (result i32) (i32.const 0)))',
            'does not export its memory as "memory"',
        ),
        ('(module (memory (export "memory") 1))', 'does not export a "rune_run" function'),
        (
            '(module (memory (export "memory") 1) (func (export "rune_run")))',
            "must have type \\(\\) -> i32",
        ),
        (
            '(module (memory (export "memory") 1) (func $s unreachable) (start $s) '
            '(func (export "rune_run") (result i32) (i32.const 0)))',
            "the rune failed to start: wasm `unreachable`",
        ),
    ],
)
def test_module_shape_errors(wat: str, message: str) -> None:
    with pytest.raises(RuneLoadError, match=message):
        Rune.load(make_rune(wat, manifest(tensors=[])))


def test_invalid_wasm_code() -> None:
    bad = b"\0asm\x01\0\0\0\x01\x03\x01\x60\x00"  # a type with no result count
    with pytest.raises(RuneLoadError, match="invalid wasm module"):
        Rune.load(write_rune(bad, manifest(tensors=[]), b""))


def test_load_errors_from_file(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        Rune.load(tmp_path / "nope.rune")
    path = tmp_path / "bad.rune"
    path.write_bytes(b"not wasm")
    with pytest.raises(RuneLoadError, match="not a WebAssembly module"):
        Rune.load(path)


def test_abi_version_2_refused_at_load() -> None:
    man = manifest(tensors=[])
    man["abi_version"] = 2
    with pytest.raises(RuneLoadError, match="ABI version 2.*implements ABI version 1"):
        Rune.load(make_rune('(module (memory (export "memory") 1))', man))


def test_capability_factory_sees_spec_once_and_feeder_every_value() -> None:
    specs: list[CapabilitySpec] = []
    values: list[InputValue | None] = []

    def factory(spec: CapabilitySpec, rng: np.random.Generator):  # type: ignore[no-untyped-def]
        specs.append(spec)
        return lambda value: values.append(value) or i32(0, 0, 0, 0)

    registry = default_registry.copy()
    registry.register("RAW", factory, replace=True)
    rune = Rune.load(double_rune(args={"length": 16}), capabilities=registry)
    rune.run({"input": "anything"})
    rune.run({"input": "else"})
    assert [(s.name, dict(s.args)) for s in specs] == [("input", {"length": 16})]
    assert values == ["anything", "else"]


def test_sine_model_file_is_the_one_we_think() -> None:
    assert SINE_MODEL.stat().st_size == 2640


def test_package_exports() -> None:
    import rune.runtime as rt

    assert rt.Rune is Rune and rt.RuneLoadError is RuneLoadError
    assert {"Rune", "write_rune", "read_rune", "register_handler"} <= set(rt.__all__)
    with pytest.raises(AttributeError):
        rt.nothing_here  # noqa: B018


def test_outputs_by_position_name_and_slice() -> None:
    outputs = Rune.load(multi_raw_rune()).run({"byte_input": bytes(range(16)),
                                              "integer_input": i32(1, 2, 3, 4)})  # fmt: skip
    assert len(outputs) == 1 and outputs.names == ["output"]
    assert outputs["output"] is outputs[0] is outputs[-1] is outputs[:1][0]
    assert [t.element_type for t in outputs[0].tensors] == ["u8", "i32"]
    assert outputs[0].value.tolist() == list(range(16))
    assert not outputs[0].value.flags.writeable  # results are read-only
    with pytest.raises(KeyError, match="no output stage named 'nope' \\(output stages: output\\)"):
        outputs["nope"]
    again = Rune.load(multi_raw_rune()).run({"byte_input": bytes(range(16)),
                                            "integer_input": i32(1, 2, 3, 4)})  # fmt: skip
    assert outputs == again and outputs == list(again)
