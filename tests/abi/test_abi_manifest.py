"""rune.abi's manifest: the codec round-trips, rejects bad input by field, and the checked-in
JSON Schema is the one the dataclasses generate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rune.abi import ABI_VERSION, RuneLoadError
from rune.abi.manifest import (
    Blob,
    Capability,
    Manifest,
    MemoryPlan,
    Model,
    Output,
    Stage,
    Tensor,
    TensorSlot,
    decode,
    decode_json,
    encode,
)
from rune.abi.schema import main as schema_main
from rune.abi.schema import manifest_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]

SINE = Manifest(
    abi_version=ABI_VERSION,
    name="sine",
    image="runicos/base",
    compiler="rune-compiler 0.1.0",
    tensors=(
        Tensor(id=0, element_type="f32", dimensions=(1, 1)),
        Tensor(id=1, element_type="f32", dimensions=(1, 1)),
    ),
    capabilities=(Capability(index=0, name="rand", kind="RAW", args={"length": 4}, outputs=(0,)),),
    models=(
        Model(index=0, name="sine", format="tensorflow-lite", inputs=(0,), outputs=(1,),
              blob=Blob(offset=0, length=2640)),
    ),
    outputs=(Output(index=0, name="serial", kind="serial", inputs=(1,)),),
    stages=(
        Stage(name="rand", kind="capability", outputs=(0,)),
        Stage(name="sine", kind="model", inputs=(0,), outputs=(1,)),
        Stage(name="serial", kind="out", inputs=(1,)),
    ),
    memory=MemoryPlan(
        strategy="greedy-by-size", arena_bytes=16, naive_bytes=16, lower_bound_bytes=8,
        tensors=(TensorSlot(id=0, offset=0, bytes=4, first=0, last=1),),
    ),
)


def test_round_trip_is_exact() -> None:
    data = encode(SINE)
    assert decode_json(data) == SINE
    assert encode(decode_json(data)) == data


def test_encoding_is_canonical_and_leaves_out_absent_fields() -> None:
    raw = json.loads(encode(SINE))
    assert list(raw) == sorted(raw)
    assert "args" not in raw["models"][0] and "proc_block" not in raw["stages"][0]
    assert raw["capabilities"][0] == {
        "args": {"length": 4}, "index": 0, "kind": "RAW", "name": "rand", "outputs": [0],
    }  # fmt: skip
    assert b", " not in encode(SINE) and b": " not in encode(SINE)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(name=3), r"manifest\.name must be a string, got 3"),
        (lambda m: m["models"][0].update(blob=[0, 1]), r"models\[0\]\.blob must be an object"),
        (lambda m: m["models"][0]["blob"].pop("length"), r"blob\.length is missing"),
        (lambda m: m["stages"][1].update(inputs=["a"]), r"stages\[1\]\.inputs\[0\] must be a "
                                                         r"tensor id"),
        (lambda m: m["memory"]["tensors"][0].update(first=-1), r"tensors\[0\]\.first must be"),
        (lambda m: m["tensors"][0].update(element_type="f16"), "'f16' is not one of u8, i8"),
        (lambda m: m["models"][0].update(index=2), r"models\[0\]\.index is 2"),
    ],
)
def test_bad_input_names_the_field(edit, message: str) -> None:
    raw = json.loads(encode(SINE))
    edit(raw)
    with pytest.raises(RuneLoadError, match=message):
        decode(raw)


def test_bad_json_is_one_error() -> None:
    with pytest.raises(RuneLoadError, match="not valid UTF-8 JSON"):
        decode_json(b"{\xff")
    with pytest.raises(RuneLoadError, match="expected a JSON object, got list"):
        decode_json(b"[]")
    with pytest.raises(RuneLoadError, match="unsupported rune ABI version 7"):
        decode({"abi_version": 7})


def test_checked_in_schema_is_current() -> None:
    """docs/manifest.schema.json is generated: `python -m rune.abi.schema docs/...` rewrites it."""
    checked_in = (ROOT / "docs" / "manifest.schema.json").read_text(encoding="utf-8")
    assert checked_in == schema_text(), "run `make schema` and commit docs/manifest.schema.json"


def test_schema_follows_the_dataclasses() -> None:
    schema = manifest_schema()
    assert schema["properties"]["abi_version"]["const"] == ABI_VERSION
    assert schema["required"] == ["abi_version", "name"]
    model = schema["$defs"]["Model"]
    assert model["required"] == ["index", "name", "format", "blob"]
    assert model["properties"]["blob"] == {
        "description": "the model's bytes in `rune.blobs`", "$ref": "#/$defs/Blob",
    }  # fmt: skip
    tensor = schema["$defs"]["Tensor"]["properties"]
    assert tensor["element_type"]["enum"] == ["u8", "i8", "u16", "i16", "u32", "i32", "u64",
                                              "i64", "f32", "f64", "utf8"]
    assert set(schema["$defs"]) == {"Tensor", "Capability", "Blob", "Model", "Output", "Stage",
                                    "MemoryPlan", "TensorSlot", "CompiledModel"}


def test_schema_command_writes_the_file(tmp_path: Path) -> None:
    assert schema_main([str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text()) == manifest_schema()


def test_draft_names_a_source_until_packaged() -> None:
    """The compiler's IR form: a model's source file, no blob yet; a host never reads source."""
    raw = json.loads(encode(SINE))
    del raw["models"][0]["blob"]
    with pytest.raises(RuneLoadError, match=r"models\[0\]\.blob is missing"):
        decode(raw)
    raw["models"][0]["source"] = "sine.tflite"
    draft = decode(raw, draft=True)
    assert draft.models[0].source == "sine.tflite" and draft.models[0].blob is None
    with pytest.raises(ValueError, match="'sine' is not packaged"):
        encode(draft)
    raw["models"][0]["blob"] = {"offset": 0, "length": 2640}
    assert decode(raw).models[0].source is None  # unknown to a host, so ignored
    assert '"source"' not in json.dumps(manifest_schema())
