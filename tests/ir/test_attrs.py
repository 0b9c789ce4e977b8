"""The typed attributes: built by the passes, printed, parsed back, and turned into plain data."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rune.abi import manifest as abi
from rune.abi.manifest import to_json_value
from rune.frontend.diagnostics import DiagnosticError
from rune.ir import attrs
from rune.ir.attrs import ManifestAttr, MemoryPlanAttr, plain_value
from rune.passes.lower_pipeline import MANIFEST_ATTR
from rune.passes.plan_memory import PLAN_ATTR
from rune.tools.compiler import CompileOptions, manifest_of, parse_ir, run_frontend, run_passes
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, StringAttr
from xdsl.utils.exceptions import VerifyException

SINE = Path(__file__).resolve().parents[2] / "examples" / "sine" / "Runefile.yml"


def _lowered(opt_level: str):
    front = run_frontend(SINE)
    run_passes(front.module, CompileOptions(opt_level=opt_level), front.runefile)
    return front.module


@pytest.mark.parametrize("opt_level", ["0", "2"])
def test_manifest_survives_print_and_parse_and_becomes_the_plain_manifest(opt_level):
    module = _lowered(opt_level)
    attr = module.attributes[MANIFEST_ATTR]
    assert isinstance(attr, ManifestAttr)
    reparsed = parse_ir(str(module))
    assert reparsed.attributes[MANIFEST_ATTR] == attr
    manifest = to_json_value(manifest_of(reparsed))
    assert manifest["abi_version"] == 1 and manifest["name"] == "sine"
    assert manifest["capabilities"] == [
        {"index": 0, "name": "angle", "kind": "RAW", "args": {"length": 4}, "outputs": [0]}]
    assert manifest["outputs"] == [
        {"index": 0, "name": "serial", "kind": "serial", "args": {}, "inputs": [2]}]
    # an absent optional field is left out, not written as null
    assert [sorted(s) for s in manifest["stages"]] == [
        ["inputs", "kind", "name", "outputs"], ["inputs", "kind", "name", "outputs", "proc_block"],
        ["inputs", "kind", "name", "outputs"], ["inputs", "kind", "name", "outputs"]]
    memory = manifest["memory"]
    assert memory["strategy"] == ("naive" if opt_level == "0" else "greedy-by-size")
    assert [t["id"] for t in memory["tensors"]] == [0, 1, 2]
    assert memory["arena_bytes"] >= memory["lower_bound_bytes"] > 0


def test_plan_memory_attaches_a_typed_plan():
    front = run_frontend(SINE)
    run_passes(front.module, CompileOptions(opt_level="2", passes="plan-memory"),
                        front.runefile)
    pipeline = next(iter(front.module.ops))
    plan = pipeline.attributes[PLAN_ATTR]
    assert isinstance(plan, MemoryPlanAttr)
    assert plain_value(plan)["tensors"][0] == {"id": 0, "offset": 0, "bytes": 4, "first": 0,
                                               "last": 1}


def test_a_module_without_a_typed_manifest_is_one_error():
    module = parse_ir('builtin.module attributes {rune.manifest = {name = "x"}} {\n}')
    with pytest.raises(DiagnosticError, match="has no rune.manifest attribute"):
        manifest_of(module)


_DERIVED = [(attrs.TensorSlotAttr, abi.TensorSlot), (MemoryPlanAttr, abi.MemoryPlan),
            (attrs.ManifestTensorAttr, abi.Tensor), (attrs.ManifestCapabilityAttr, abi.Capability),
            (attrs.ManifestModelAttr, abi.Model), (attrs.ManifestOutputAttr, abi.Output),
            (attrs.ManifestStageAttr, abi.Stage), (ManifestAttr, abi.Manifest)]


@pytest.mark.parametrize(("attr", "cls"), _DERIVED, ids=lambda x: getattr(x, "__name__", x))
def test_each_derived_attribute_has_its_dataclass_fields_less_the_packaging_ones(attr, cls):
    hints = abi.field_types(cls)
    expected = [(f.name, abi.optional_inner(hints[f.name]) is not None)
                for f in dataclasses.fields(cls) if not abi.is_packaging_field(f)]
    assert attr.fields() == expected


def test_the_packaging_rule_leaves_out_the_compilers_name_and_a_models_blob():
    def packaging(cls: type) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if abi.is_packaging_field(f)]

    assert packaging(abi.Manifest) == ["compiler"] and packaging(abi.Model) == ["blob"]
    assert "compiler" not in dict(ManifestAttr.fields())
    assert [n for n, _ in attrs.ManifestModelAttr.fields()] == [
        "index", "name", "format", "source", "inputs", "outputs", "args"]


@dataclass(frozen=True, kw_only=True)
class _Probe:
    """A record a later branch might add: every field type the derivation knows."""

    index: int
    name: str
    args: abi.JsonObject
    ids: tuple[int, ...] = ()
    slots: tuple[abi.TensorSlot, ...] = ()
    plan: abi.MemoryPlan | None = None
    note: str | None = None
    compiler: str | None = field(default=None, metadata={"packaged": True, "required": False})


def test_a_new_dataclass_becomes_an_attribute_with_no_change_in_ir():
    probe = attrs.derive(_Probe, "rune.test_probe")
    assert probe.__name__ == "TestProbeAttr" and probe.name == "rune.test_probe"
    assert probe.fields() == [("index", False), ("name", False), ("args", False), ("ids", False),
                              ("slots", False), ("plan", True), ("note", True)]
    slot = attrs.TensorSlotAttr.of(id=IntAttr(0), offset=IntAttr(8), bytes=IntAttr(4),
                             first=IntAttr(0), last=IntAttr(1))
    value = probe.of(index=IntAttr(2), name=StringAttr("p"), args=DictionaryAttr({}),
                     ids=attrs.ints([3, 4]), slots=ArrayAttr([slot]))
    assert str(value) == ('#rune.test_probe<index 2, name "p", args {}, ids [3, 4], slots '
                          '[#rune.tensor_slot<id 0, offset 8, bytes 4, first 0, last 1>]>')
    assert plain_value(value)["slots"] == [{"id": 0, "offset": 8, "bytes": 4, "first": 0,
                                            "last": 1}]
    with pytest.raises(VerifyException):  # irdl checks each field's type
        probe.of(index=StringAttr("2"), name=StringAttr("p"), args=DictionaryAttr({}),
                 ids=attrs.ints([]), slots=ArrayAttr([]))


def test_of_names_unknown_and_missing_fields():
    with pytest.raises(TypeError, match=r"unknown fields \['blob'\], missing \['format'\]"):
        attrs.ManifestModelAttr.of(index=IntAttr(0), name=StringAttr("m"),
                                   inputs=attrs.ints([]), outputs=attrs.ints([]), blob=IntAttr(0))


def test_a_plan_without_a_field_lowering_needs_is_one_error():
    """The plan's fields are optional in a host's manifest, so they parse; lowering needs them."""
    front = run_frontend(SINE)
    run_passes(front.module, CompileOptions(opt_level="2", passes="plan-memory"), front.runefile)
    broken, n = re.subn(r", lower_bound_bytes \d+", "", str(front.module))
    assert n == 1
    with pytest.raises(DiagnosticError, match="rune.memory_plan needs the fields "
                                              "lower_bound_bytes"):
        run_passes(parse_ir(broken), CompileOptions(opt_level="2", passes="lower-pipeline"),
                   front.runefile)
