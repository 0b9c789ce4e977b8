"""The typed attributes: built by the passes, printed, parsed back, and turned into plain data."""

from __future__ import annotations

from pathlib import Path

import pytest
from rune.abi.manifest import to_json_value
from rune.frontend.diagnostics import DiagnosticError
from rune.ir.attrs import ManifestAttr, MemoryPlanAttr, plain_value
from rune.passes.lower_pipeline import MANIFEST_ATTR
from rune.passes.plan_memory import PLAN_ATTR
from rune.tools.compiler import CompileOptions, manifest_of, parse_ir, run_frontend, run_passes

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
