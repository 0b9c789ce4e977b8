"""Manifest parsing: ABI version, field types, references, derived tensor sizes."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from rune.runtime.errors import RuneLoadError
from rune.runtime.manifest import TensorSpec, parse_manifest
from runekit import double_manifest, sine_manifest


def test_parse_double_manifest() -> None:
    m = parse_manifest(double_manifest())
    assert m.abi_version == 1 and m.name == "double" and m.image == "runicos/base"
    (cap,) = m.capabilities
    assert (cap.index, cap.name, cap.kind) == (0, "input", "RAW")
    assert cap.tensor == TensorSpec(id=0, element_type="i32", dimensions=(4,))
    assert cap.tensor.nbytes == 16 and cap.tensor.dtype == np.dtype("<i4")
    assert m.outputs[0].inputs == (TensorSpec(id=1, element_type="i32", dimensions=(4,)),)
    assert [s.name for s in m.stages] == ["input", "double", "serial"]
    assert m.stages[1].proc_block == "double"
    assert m.capability("input") is cap
    assert m.arena_bytes == 0


def test_parse_model_entry() -> None:
    m = parse_manifest(sine_manifest())
    (model,) = m.models
    assert model.format == "tensorflow-lite" and model.blob.offset == 0
    assert model.blob.length == 2640
    assert model.inputs[0].describe() == "f32[1,1]"


@pytest.mark.parametrize(
    ("etype", "dims", "nbytes"),
    [("u8", [16], 16), ("f64", [2, 3], 48), ("utf8", [3], 24), ("i16", [], 2), ("u64", [0], 0)],
)
def test_tensor_sizes(etype: str, dims: list[int], nbytes: int) -> None:
    assert TensorSpec(id=0, element_type=etype, dimensions=tuple(dims)).nbytes == nbytes


def test_abi_version_mismatch_names_both_versions() -> None:
    raw = double_manifest()
    raw["abi_version"] = 2
    raw["capabilities"] = "a future layout"  # must not matter: the version is checked first
    with pytest.raises(RuneLoadError) as info:
        parse_manifest(raw)
    assert "unsupported rune ABI version 2" in str(info.value)
    assert "implements ABI version 1" in str(info.value)


def test_missing_abi_version() -> None:
    raw = double_manifest()
    del raw["abi_version"]
    with pytest.raises(RuneLoadError, match="abi_version is missing"):
        parse_manifest(raw)


def _broken(edit: Any) -> dict[str, Any]:
    raw = copy.deepcopy(double_manifest())
    edit(raw)
    return raw


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(name=3), r"manifest\.name must be a string, got 3"),
        (lambda m: m.update(tensors={}), r"manifest\.tensors must be a list"),
        (lambda m: m["tensors"][0].update(element_type="f16"), r"element_type 'f16' is not one of"),
        (
            lambda m: m["tensors"][0].update(dimensions=[1, -2]),
            r"tensors\[0\]\.dimensions\[1\] must be a non-negative integer",
        ),
        (lambda m: m["tensors"][0].update(dimensions=[True]), r"dimensions\[0\] must be"),
        (lambda m: m["tensors"][1].update(id=0), "tensor id 0 is declared twice"),
        (lambda m: m["capabilities"][0].update(kind=None), r"capabilities\[0\]\.kind must be"),
        (lambda m: m["capabilities"][0].update(outputs=[7]), "refers to unknown tensor id 7"),
        (lambda m: m["capabilities"][0].update(outputs=[0, 1]), "exactly one tensor"),
        (lambda m: m["capabilities"][0].update(index=1), r"index is 1, but entries must be"),
        (lambda m: m["capabilities"][0].pop("index"), r"capabilities\[0\]\.index is missing"),
        (lambda m: m["capabilities"][0].update(args=[]), r"args must be an object"),
        (
            lambda m: m["outputs"].append(dict(m["outputs"][0], index=1)),
            "two outputs entries are named 'serial'",
        ),
        (lambda m: m["outputs"][0].update(inputs="1"), r"outputs\[0\]\.inputs must be a list"),
        (
            lambda m: m.update(models=[{"index": 0, "name": "m", "format": "onnx"}]),
            r"models\[0\]\.blob is missing",
        ),
        (lambda m: m["stages"][0].update(proc_block=1), r"stages\[0\]\.proc_block must be"),
        (lambda m: m.update(memory={"arena_bytes": "12"}), r"arena_bytes must be"),
    ],
)
def test_bad_fields_name_the_field(edit: Any, message: str) -> None:
    with pytest.raises(RuneLoadError, match=message):
        parse_manifest(_broken(edit))


def test_unknown_fields_are_ignored() -> None:
    raw = double_manifest()
    raw["future_field"] = {"x": 1}
    raw["capabilities"][0]["future"] = True
    assert parse_manifest(raw).capabilities[0].name == "input"


def test_optional_lists_default_to_empty() -> None:
    m = parse_manifest({"abi_version": 1, "name": "empty"})
    assert m.tensors == () and m.capabilities == () and m.models == () and m.stages == ()
    assert m.image is None and m.arena_bytes is None
