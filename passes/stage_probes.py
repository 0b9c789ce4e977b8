"""insert-stage-probes: time every kernel (a proc block or a fused group) and every compiled
model from the host.

An opt-in instrumentation pass, run after `lower-pipeline` (`runec --profile`): in `rune_run`,
each timed unit k is bracketed by `rune_probe(2k)` and `rune_probe(2k + 1)`, calls of the
optional ABI import `probe(i32)` (docs/abi.md). A unit is a kernel call, or the calls of one
compiled model's operators together (`runec --models=compiled`: the model's `kernel` stages,
`<model>#<i>`, whose calls follow each other), named by the model's stage. The host records a
monotonic clock at each probe, so `rune bench --kernels` reports guest time per kernel and per
compiled model; which unit probe pair k names is in the manifest's `probes` list (stage names,
in call order). No default pipeline runs this pass, so a rune compiled without `--profile` has no
probe and is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.abi.imports import IMPORTS, IMPORTS_BY_NAME
from rune.frontend.tflite_import import model_stage_of
from rune.ir.attrs import ManifestAttr
from rune.passes.common import MANIFEST_ATTR, StageError
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, i32
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

PROBE = IMPORTS_BY_NAME["probe"].symbol
KERNEL_PREFIX = "kernel."
_IMPORT_SYMBOLS = frozenset(imp.symbol for imp in IMPORTS)


@dataclass(frozen=True)
class InsertStageProbesPass(ModulePass):
    """Bracket each kernel call, and each compiled model's operator calls, in `rune_run` with
    probe calls; list them in the manifest."""

    name = "insert-stage-probes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        manifest = op.attributes.get(MANIFEST_ATTR)
        if not isinstance(manifest, ManifestAttr):
            raise StageError("<module>", "insert-stage-probes runs after lower-pipeline "
                             "(the module has no rune.manifest)")
        run = _function(op, "rune_run")
        if run is None:
            raise StageError("<module>", "insert-stage-probes needs the `rune_run` function")
        if _function(op, PROBE) is not None:
            return  # already instrumented: probing twice would nest the timings
        probes = []
        for k, (name, first, last) in enumerate(_units(run, manifest)):
            probes.append(name)
            _insert_probe(InsertPoint.before(first), 2 * k)
            _insert_probe(InsertPoint.after(last), 2 * k + 1)
        op.body.block.insert_op_before(func.FuncOp.external(PROBE, [i32], []), run)
        op.attributes[MANIFEST_ATTR] = ManifestAttr(
            *manifest.parameters[:-1], ArrayAttr([StringAttr(p) for p in probes]))


def _units(run: func.FuncOp, manifest: ManifestAttr) -> list[tuple[str, func.CallOp, func.CallOp]]:
    """(name, first call, last call) of each timed unit, in call order: a kernel call is named
    by its proc-block stage; the calls of a compiled model's operators (every call that is
    neither an import nor a kernel, one per `kernel` stage, in stage order) by the model."""
    stages = manifest.stages.data
    proc_blocks = [s.name_.data for s in stages if s.kind.data == "proc-block"]
    operators = [s.name_.data for s in stages if s.kind.data == "kernel"]
    calls = [c for c in run.walk() if isinstance(c, func.CallOp)
             and c.callee.string_value() not in _IMPORT_SYMBOLS]
    operator_calls = [c for c in calls if not c.callee.string_value().startswith(KERNEL_PREFIX)]
    if len(operator_calls) != len(operators):
        raise StageError("<module>", f"insert-stage-probes: rune_run calls "
                         f"{len(operator_calls)} model operators, the manifest lists "
                         f"{len(operators)}")
    model_of = {id(c): model_stage_of(s) for c, s in zip(operator_calls, operators, strict=True)}
    units: list[tuple[str, func.CallOp, func.CallOp]] = []
    for call in calls:
        callee = call.callee.string_value()
        model = model_of.get(id(call))
        if model is None:
            number = int(callee.split(".")[1])
            units.append((proc_blocks[number] if number < len(proc_blocks) else callee, call,
                          call))
        elif units and units[-1][0] == model and id(units[-1][2]) in model_of:
            units[-1] = (model, units[-1][1], call)  # the model's next operator
        else:
            units.append((model, call, call))
    return units


def _function(module: ModuleOp, name: str) -> func.FuncOp | None:
    for candidate in module.ops:
        if isinstance(candidate, func.FuncOp) and candidate.sym_name.data == name:
            return candidate
    return None


def _insert_probe(where: InsertPoint, probe_id: int) -> None:
    """`rune_probe(probe_id)` at `where`, after the constant it takes."""
    const = arith.ConstantOp(IntegerAttr(probe_id, i32))
    Rewriter.insert_op(const, where)
    Rewriter.insert_op(func.CallOp(PROBE, [const.result], []), InsertPoint.after(const))
