"""Tests for rune.abi.models.tflite_format (pure-Python .tflite reader/verifier)."""

from __future__ import annotations

import hashlib
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rune.abi.models.errors import ModelFormatError
from rune.abi.models.tflite_format import (
    BUILTIN_OPERATORS,
    ELEMENT_TYPES,
    Quantization,
    TensorInfo,
    TfliteModel,
    read_tflite,
)
from tflite_builder import (
    S,
    Str,
    T,
    TVec,
    Vec,
    buffer,
    build,
    model,
    opcode,
    operator,
    quantization,
    simple_model,
    subgraph,
    tensor,
)

# The reader compiles nothing, and $RUNE_OPT_LEVEL only sets runec's default level: `make
# test`'s -O0 pass leaves the module to the -O2 pass.
pytestmark = pytest.mark.fixed_opt_level

PEER_ROOT = Path("/work/shared/peer-suite/hotg-rune")
PEER_MODELS = sorted(PEER_ROOT.rglob("*.tflite")) if PEER_ROOT.is_dir() else []


def _unique(paths: list[Path]) -> list[Path]:
    seen: set[str] = set()
    out = []
    for p in paths:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            out.append(p)
    return out


UNIQUE_MODELS = _unique(PEER_MODELS)
needs_peer_models = pytest.mark.skipif(
    not PEER_MODELS, reason=f"no .tflite files under {PEER_ROOT}"
)


def _peer_id(p: Path) -> str:
    return str(p.relative_to(PEER_ROOT))


def _peer(name: str) -> bytes:
    """The first peer model whose file name is ``name``."""
    for p in PEER_MODELS:
        if p.name == name:
            return p.read_bytes()
    pytest.skip(f"no {name} under {PEER_ROOT}")


def _read_or_reject(data: bytes) -> TfliteModel | None:
    """The verifier contract: a model or ModelFormatError, nothing else."""
    try:
        m = read_tflite(data)
    except ModelFormatError as e:
        assert str(e)
        return None
    assert isinstance(m, TfliteModel)
    for info in m.inputs + m.outputs:
        assert info.element_type in ELEMENT_TYPES.values()
        assert all(d >= 0 for d in info.shape)
    return m


# --- agreement with LiteRT on the peer models --------------------------------

_NUMPY_TO_RUNE = {
    "float32": "f32",
    "float16": "f16",
    "float64": "f64",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "bool": "bool",
    "object_": "utf8",
    "bytes_": "utf8",
}


def _check_against_litert(info: TensorInfo, detail: dict) -> None:
    np = pytest.importorskip("numpy")
    assert info.name == detail["name"]
    assert info.index == detail["index"]
    assert info.shape == tuple(int(d) for d in detail["shape"])
    assert info.shape_signature == tuple(int(d) for d in detail["shape_signature"])
    assert info.dynamic == any(int(d) == -1 for d in detail["shape_signature"])
    assert info.element_type == _NUMPY_TO_RUNE[np.dtype(detail["dtype"]).type.__name__]
    params = detail["quantization_parameters"]
    if len(params["scales"]) == 0:
        assert info.quantization is None
    else:
        q = info.quantization
        assert q is not None
        assert q.scale == tuple(float(s) for s in params["scales"])
        assert q.zero_point == tuple(int(z) for z in params["zero_points"])
        assert q.quantized_dimension == params["quantized_dimension"]
        if len(q.scale) == 1:  # LiteRT's legacy per-tensor pair
            assert (q.scale[0], q.zero_point[0]) == detail["quantization"]


@needs_peer_models
@pytest.mark.parametrize("path", PEER_MODELS, ids=_peer_id)
def test_peer_model_matches_litert(path: Path) -> None:
    interpreter_mod = pytest.importorskip("ai_edge_litert.interpreter")
    data = path.read_bytes()
    m = read_tflite(data)
    interp = interpreter_mod.Interpreter(model_content=data)
    inputs, outputs = interp.get_input_details(), interp.get_output_details()
    assert [i.name for i in m.inputs] == [d["name"] for d in inputs]
    assert [o.name for o in m.outputs] == [d["name"] for d in outputs]
    for info, detail in zip(m.inputs + m.outputs, inputs + outputs, strict=True):
        _check_against_litert(info, detail)
    # Before allocate_tensors() no delegate has rewritten the node list.
    assert m.operators == [op["op_name"] for op in interp._get_ops_details()]
    assert m.tensor_count == len(interp.get_tensor_details())
    assert m.version == 3
    assert m.subgraph_count >= 1


def test_builtin_operator_table_matches_litert_schema() -> None:
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    names = {
        value: name
        for name, value in vars(schema.BuiltinOperator).items()
        if not name.startswith("_")
    }
    assert len(BUILTIN_OPERATORS) == max(names) + 1
    assert {i: n for i, n in enumerate(BUILTIN_OPERATORS)} == names


def test_element_type_table_covers_litert_schema() -> None:
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    codes = {
        name: value for name, value in vars(schema.TensorType).items() if not name.startswith("_")
    }
    assert set(ELEMENT_TYPES) == set(codes.values())
    expected = {
        "FLOAT32": "f32",
        "FLOAT16": "f16",
        "INT32": "i32",
        "UINT8": "u8",
        "INT64": "i64",
        "STRING": "utf8",
        "BOOL": "bool",
        "INT16": "i16",
        "INT8": "i8",
        "FLOAT64": "f64",
        "UINT64": "u64",
        "UINT32": "u32",
        "UINT16": "u16",
    }
    for name, spelling in expected.items():
        assert ELEMENT_TYPES[codes[name]] == spelling


# --- known facts about specific peer models ----------------------------------


def test_sine_model() -> None:
    m = read_tflite(_peer("sinemodel.tflite"))
    assert m.version == 3
    assert m.description == "TOCO Converted."
    assert m.operators == ["FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED"]
    assert m.tensor_count == 10
    assert m.subgraph_count == 1
    assert m.inputs == [TensorInfo("dense_2_input", "f32", (1, 1), index=1, shape_signature=(1, 1))]
    assert m.outputs == [TensorInfo("Identity", "f32", (1, 1), index=0, shape_signature=(1, 1))]


def test_microspeech_model_is_int8_quantized() -> None:
    m = read_tflite(_microspeech())
    assert m.operators == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    (inp,) = m.inputs
    (out,) = m.outputs
    assert (inp.name, inp.element_type, inp.shape) == ("Reshape", "i8", (1, 1960))
    assert inp.quantization == Quantization((0.10196078568696976,), (-128,))
    assert (out.name, out.element_type, out.shape) == ("labels_softmax", "i8", (1, 6))
    assert out.quantization == Quantization((0.00390625,), (-128,), 0)


def _microspeech() -> bytes:
    for p in PEER_MODELS:
        if p.parent.name == "microspeech":
            return p.read_bytes()
    pytest.skip("no microspeech model")


def test_gesture_model_has_dynamic_batch() -> None:
    m = read_tflite(_peer("model_quantized.tflite"))
    (inp,) = m.inputs
    assert inp.shape == (1, 128, 3, 1)
    assert inp.shape_signature == (-1, 128, 3, 1)
    assert inp.dynamic
    assert m.outputs[0].dynamic
    assert m.description == "MLIR Converted."


@needs_peer_models
def test_read_of_largest_peer_model_is_fast() -> None:
    largest = max(PEER_MODELS, key=lambda p: p.stat().st_size)
    data = largest.read_bytes()
    read_tflite(data)  # warm up
    best = min(_timed(read_tflite, data) for _ in range(5))
    assert best < 0.050, f"reading {largest.name} ({len(data)} bytes) took {best * 1000:.1f} ms"


def _timed(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


def test_accepts_bytearray_and_memoryview() -> None:
    data = simple_model()
    assert read_tflite(bytearray(data)) == read_tflite(data)
    assert read_tflite(memoryview(data)) == read_tflite(data)
    with pytest.raises(TypeError):
        read_tflite("not bytes")  # type: ignore[arg-type]


def test_module_does_not_import_an_ml_runtime() -> None:
    code = (
        "import sys, rune.abi.models.tflite_format\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('ai_edge_litert', 'tensorflow', 'tflite_runtime', 'flatbuffers', 'numpy')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- truncation and corruption ------------------------------------------------


def test_every_truncation_of_sine_model_is_rejected() -> None:
    data = _peer("sinemodel.tflite")
    assert len(data) == 2640
    for n in range(len(data)):
        with pytest.raises(ModelFormatError):
            read_tflite(data[:n])


@needs_peer_models
@pytest.mark.parametrize("path", UNIQUE_MODELS, ids=_peer_id)
def test_truncations_of_peer_models_never_crash(path: Path) -> None:
    data = path.read_bytes()
    lengths = set(range(0, 64)) | set(range(len(data) - 64, len(data)))
    lengths |= set(range(0, len(data), max(1, len(data) // 400)))
    for n in sorted(lengths):
        m = _read_or_reject(data[:n])
        if m is not None:
            # Only trailing bytes outside the FlatBuffer (e.g. an appended
            # metadata zip) can go without changing the model.
            assert m == read_tflite(data)


@needs_peer_models
@pytest.mark.parametrize("path", UNIQUE_MODELS, ids=_peer_id)
def test_seeded_random_corruption_never_crashes(path: Path) -> None:
    data = path.read_bytes()
    rng = random.Random(f"rune-tflite-{path.name}-{len(data)}")
    rounds = 1500 if len(data) < 100_000 else 150
    rejected = 0
    for _ in range(rounds):
        corrupt = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 4, 16))):
            pos = rng.randrange(len(corrupt))
            if rng.random() < 0.5:
                corrupt[pos] = rng.randrange(256)
            else:
                corrupt[pos] ^= 1 << rng.randrange(8)
        rejected += _read_or_reject(bytes(corrupt)) is None
    assert rejected > 0


_SINE = next((p.read_bytes() for p in PEER_MODELS if p.name == "sinemodel.tflite"), b"")
_FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.skipif(not _SINE, reason="no sine model")
@_FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, max(len(_SINE) - 1, 0)), st.integers(0, 255)),
        min_size=1,
        max_size=12,
    ),
    cut=st.one_of(st.none(), st.integers(0, max(len(_SINE) - 1, 0))),
)
def test_hypothesis_corrupted_sine_model(edits: list[tuple[int, int]], cut: int | None) -> None:
    corrupt = bytearray(_SINE)
    for pos, value in edits:
        corrupt[pos] = value
    if cut is not None:
        del corrupt[cut:]
    _read_or_reject(bytes(corrupt))


@_FUZZ
@given(
    root=st.sampled_from([b"\x08\x00\x00\x00", b"\x0c\x00\x00\x00", b"\x10\x00\x00\x00"]),
    body=st.binary(max_size=600),
)
def test_hypothesis_random_bytes_with_tflite_header(root: bytes, body: bytes) -> None:
    _read_or_reject(root + b"TFL3" + body)


@_FUZZ
@given(data=st.binary(max_size=64))
def test_hypothesis_arbitrary_bytes(data: bytes) -> None:
    _read_or_reject(data)


# --- specific format errors ----------------------------------------------------


def _rejects(data: bytes, match: str) -> None:
    with pytest.raises(ModelFormatError, match=match):
        read_tflite(data)


def test_too_short() -> None:
    _rejects(b"", "too short")
    _rejects(b"\x08\x00\x00\x00TFL", "too short")


def test_wrong_identifier_message() -> None:
    data = bytearray(simple_model())
    data[4:8] = b"TFL2"
    with pytest.raises(ModelFormatError) as info:
        read_tflite(bytes(data))
    message = str(info.value)
    assert "not a TFLite model" in message
    assert "b'TFL2'" in message and "b'TFL3'" in message
    assert info.value.message == message
    _rejects(b"\x89PNG\r\n\x1a\n" + bytes(32), "file identifier")


def test_model_format_error_is_a_value_error() -> None:
    assert issubclass(ModelFormatError, ValueError)


def test_root_offset_out_of_bounds() -> None:
    data = bytearray(simple_model())
    struct.pack_into("<I", data, 0, len(data) + 100)
    _rejects(bytes(data), "past the end")


def test_misaligned_root_table() -> None:
    data = bytearray(simple_model())
    root = struct.unpack_from("<I", data, 0)[0]
    struct.pack_into("<I", data, 0, root + 2)
    _rejects(bytes(data), "aligned")


def test_vtable_out_of_bounds() -> None:
    data = bytearray(simple_model())
    root = struct.unpack_from("<I", data, 0)[0]
    struct.pack_into("<i", data, root, -len(data))
    _rejects(bytes(data), "vtable")


def test_field_offset_outside_table() -> None:
    data = bytearray(simple_model())
    root = struct.unpack_from("<I", data, 0)[0]
    vtable = root - struct.unpack_from("<i", data, root)[0]
    struct.pack_into("<H", data, vtable + 4, 0x4000)  # Model.version's offset
    _rejects(bytes(data), "outside its")


def test_vector_length_out_of_bounds() -> None:
    data = bytearray(simple_model(name="x", shape=[7, 3]))
    at = data.find(struct.pack("<Iii", 2, 7, 3))
    struct.pack_into("<I", data, at, 0x10000000)
    _rejects(bytes(data), "outside the")


def test_string_without_terminator() -> None:
    data = bytearray(simple_model(name="input_tensor"))
    at = data.find(b"input_tensor\x00")
    data[at + len("input_tensor")] = ord("!")
    _rejects(bytes(data), "NUL-terminated")


def test_invalid_utf8_name() -> None:
    t = tensor("x", [1])
    t.fields[3] = Str(b"\xff\xfe")
    _rejects(build(model([subgraph([t], [0], [0])])), "UTF-8")


def test_name_stops_at_nul_like_litert() -> None:
    t = tensor("x", [1])
    t.fields[3] = Str(b"abc\x00def")
    m = read_tflite(build(model([subgraph([t], [0], [0])])))
    assert m.inputs[0].name == "abc"


def test_negative_dimension() -> None:
    _rejects(simple_model(shape=[1, -3]), "negative dimension")


def test_bad_shape_signature() -> None:
    _rejects(simple_model(shape=[1, 3], signature=[-2, 3]), "shape_signature")


def test_impossibly_large_shape() -> None:
    _rejects(simple_model(shape=[1 << 30] * 3), "impossibly large")
    # A zero dimension does not excuse an overflow earlier in the shape.
    _rejects(simple_model(shape=[(1 << 31) - 1] * 3 + [0]), "impossibly large")


def test_unknown_tensor_type() -> None:
    _rejects(simple_model(type_code=99), "unknown tensor type 99")
    _rejects(simple_model(type_code=-1), "unknown tensor type -1")


@pytest.mark.parametrize(("code", "spelling"), sorted(ELEMENT_TYPES.items()))
def test_every_tensor_type(code: int, spelling: str) -> None:
    m = read_tflite(simple_model(type_code=code))
    assert m.inputs[0].element_type == spelling


def test_input_and_output_index_out_of_range() -> None:
    x = tensor("x", [1])
    _rejects(build(model([subgraph([x], [1], [0])])), "input 0 refers to tensor 1")
    _rejects(build(model([subgraph([x], [0], [-1])])), "output 0 refers to tensor -1")


def test_no_subgraphs() -> None:
    _rejects(build(model([])), "no subgraphs")
    root = model([subgraph([tensor("x", [1])], [0], [0])])
    del root.fields[2]
    _rejects(build(root), "no subgraphs")


def test_missing_tensors_vector() -> None:
    sg = subgraph([], [], [])
    del sg.fields[0]
    _rejects(build(model([sg])), "no tensors")


def test_missing_buffers() -> None:
    root = model([subgraph([tensor("x", [1])], [0], [0])])
    del root.fields[4]
    _rejects(build(root), "no buffers")


def test_schema_version() -> None:
    _rejects(build(model([subgraph([tensor("x", [1])], [0], [0])], version=2)), "version 2")


def test_buffer_index_out_of_range() -> None:
    _rejects(simple_model(buffer=5), "buffer 5")


def test_constant_buffer_too_small() -> None:
    sg = subgraph([tensor("w", [2, 2], buffer=1)], [0], [0])
    ok = build(model([sg], buffers=[buffer(), buffer(bytes(16))]))
    assert read_tflite(ok).inputs[0].shape == (2, 2)
    _rejects(build(model([sg], buffers=[buffer(), buffer(bytes(15))])), "needs 16 bytes")
    # An empty data vector still makes a (zero-byte) constant, as in LiteRT.
    _rejects(build(model([sg], buffers=[buffer(), buffer(b"")])), "holds 0")


def test_variable_tensor_with_constant_buffer() -> None:
    sg = subgraph([tensor("v", [1], buffer=1, is_variable=True)], [0], [0])
    _rejects(build(model([sg], buffers=[buffer(), buffer(bytes(4))])), "variable")


def test_external_buffer_out_of_file() -> None:
    big = T({1: S("Q", 1 << 20), 2: S("Q", 16)})
    sg = subgraph([tensor("w", [4], buffer=1)], [0], [0])
    _rejects(build(model([sg], buffers=[buffer(), big])), "external data")


def test_operators_and_opcodes() -> None:
    tensors = [tensor("a", [1]), tensor("b", [1]), tensor("c", [1])]
    ops = [operator(0, [0, -1], [1]), operator(1, [1], [2]), operator(2, [2], [2])]
    codes = [opcode(9), opcode(32, custom="MyCustomOp"), opcode(150)]
    m = read_tflite(build(model([subgraph(tensors, [0], [2], ops)], opcodes=codes)))
    assert m.operators == ["FULLY_CONNECTED", "MyCustomOp", "GELU"]
    assert m.tensor_count == 3


def test_deprecated_builtin_code_only() -> None:
    old = T({0: S("b", 25)})  # SOFTMAX, as written by old converters
    sg = subgraph([tensor("a", [1])], [0], [0], [operator(0, [0], [0])])
    assert read_tflite(build(model([sg], opcodes=[old]))).operators == ["SOFTMAX"]


def test_unknown_future_builtin_is_named_by_code() -> None:
    sg = subgraph([tensor("a", [1])], [0], [0], [operator(0, [0], [0])])
    m = read_tflite(build(model([sg], opcodes=[opcode(4000)])))
    assert m.operators == ["BUILTIN_4000"]


def test_operator_errors() -> None:
    tensors = [tensor("a", [1]), tensor("b", [1])]

    def with_ops(ops: list[T], codes: list[T]) -> bytes:
        return build(model([subgraph(tensors, [0], [1], ops)], opcodes=codes))

    _rejects(with_ops([operator(1, [0], [1])], [opcode(0)]), "opcode_index 1")
    _rejects(with_ops([operator(0, [0, 2], [1])], [opcode(0)]), "refer to tensor 2")
    _rejects(with_ops([operator(0, [0], [-2])], [opcode(0)]), "refer to tensor -2")
    _rejects(with_ops([operator(0, [0], [1])], [opcode(32)]), "no custom_code")
    _rejects(with_ops([operator(0, [0], [1])], [opcode(-5)]), "invalid builtin operator code")
    _rejects(with_ops([operator(0, [0], [1])], [opcode(3, version=0)]), "operator version 0")


def test_quantization_per_tensor_and_per_axis() -> None:
    m = read_tflite(simple_model(type_code=9, quantization=quantization([0.5], [3])))
    assert m.inputs[0].quantization == Quantization((0.5,), (3,), 0)
    per_axis = quantization([0.5, 0.25, 2.0], [0, 1, -1], 1)
    m = read_tflite(simple_model(shape=[2, 3], type_code=9, quantization=per_axis))
    assert m.inputs[0].quantization == Quantization((0.5, 0.25, 2.0), (0, 1, -1), 1)
    # min/max without scale: not a quantized tensor
    minmax = T({0: Vec("f", [-1.0]), 1: Vec("f", [1.0])})
    assert read_tflite(simple_model(quantization=minmax)).inputs[0].quantization is None


def test_quantization_errors() -> None:
    def q(shape: list[int], qt: T) -> bytes:
        return simple_model(shape=shape, type_code=9, quantization=qt)

    _rejects(q([4], quantization([0.5], None)), "0 zero points")
    _rejects(q([4], quantization([0.5, 0.5], [0])), "2 quantization scales but 1 zero points")
    _rejects(q([2, 3], quantization([0.5], [0], 2)), "quantized_dimension 2")
    _rejects(q([2, 3], quantization([0.5], [0], -1)), "quantized_dimension -1")
    _rejects(q([2, 3], quantization([0.5, 0.5], [0, 0], 1)), "per-axis")


def test_metadata_and_signatures_are_checked() -> None:
    sg = subgraph([tensor("x", [1])], [0], [0])
    root = model([sg], buffers=[buffer(), buffer(b"meta")])
    root.fields[6] = TVec([T({0: Str("min_runtime_version"), 1: S("I", 1)})])
    sig = T({0: TVec([T({0: Str("x"), 1: S("I", 0)})]), 1: TVec([]), 2: Str("serve")})
    root.fields[7] = TVec([sig])
    assert read_tflite(build(root)).inputs[0].name == "x"

    root.fields[6] = TVec([T({0: Str("m"), 1: S("I", 9)})])
    _rejects(build(root), r"metadata\[0\] refers to buffer 9")
    root.fields[6] = TVec([])
    sig.fields[0] = TVec([T({0: Str("x"), 1: S("I", 3)})])
    _rejects(build(root), "refers to tensor 3")
    del sig.fields[2]
    _rejects(build(root), "no signature_key")


def test_multiple_subgraphs() -> None:
    main = subgraph([tensor("x", [1]), tensor("y", [2])], [0], [1])
    other = subgraph([tensor("z", [3])], [0], [0])
    m = read_tflite(build(model([main, other])))
    assert m.subgraph_count == 2
    assert [t.name for t in m.inputs + m.outputs] == ["x", "y"]
    bad = subgraph([tensor("z", [3], type_code=77)], [0], [0])
    _rejects(build(model([main, bad])), "subgraph 1 tensor 0")


def test_hand_made_models_match_litert() -> None:
    """The test builder and the reader agree with LiteRT on hand-made models."""
    interpreter_mod = pytest.importorskip("ai_edge_litert.interpreter")
    tensors = [
        tensor("x", [1, 4], signature=[-1, 4]),
        tensor("c", [1, 4], buffer=1),
        tensor("y", [1, 4], type_code=0),
        tensor(
            "q", [2, 3], type_code=9, quantization=quantization([0.5, 0.25, 2.0], [0, 1, -1], 1)
        ),
    ]
    sg = subgraph(tensors, [0, 3], [2], [operator(0, [0, 1], [2])])
    data = build(model([sg], opcodes=[opcode(0)], buffers=[buffer(), buffer(bytes(16))]))
    m = read_tflite(data)
    interp = interpreter_mod.Interpreter(model_content=data)
    details = interp.get_input_details() + interp.get_output_details()
    for info, detail in zip(m.inputs + m.outputs, details, strict=True):
        _check_against_litert(info, detail)
    assert m.operators == ["ADD"]
