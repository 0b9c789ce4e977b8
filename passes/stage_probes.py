"""insert-stage-probes: time every kernel (a proc block or a fused group) from the host.

An opt-in instrumentation pass, run after `lower-pipeline` (`runec --profile`): in `rune_run`,
each call of a kernel function is bracketed by `rune_probe(2k)` and `rune_probe(2k + 1)`, calls
of the optional ABI import `probe(i32)` (docs/abi.md). The host records a monotonic clock at each
probe, so `rune bench --kernels` reports guest time per kernel; which kernel probe k names is in
the manifest's `probes` list (the stage names, in call order). No default pipeline runs this
pass, so a rune compiled without `--profile` has no probe and is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.abi.imports import IMPORTS_BY_NAME
from rune.ir.attrs import ManifestAttr
from rune.passes.common import MANIFEST_ATTR, StageError
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, i32
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

PROBE = IMPORTS_BY_NAME["probe"].symbol
KERNEL_PREFIX = "kernel."


@dataclass(frozen=True)
class InsertStageProbesPass(ModulePass):
    """Bracket each kernel call in `rune_run` with probe calls; list them in the manifest."""

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
        stages = [s.name_.data for s in manifest.stages.data if s.kind.data == "proc-block"]
        calls = [c for c in run.walk() if isinstance(c, func.CallOp)
                 and c.callee.string_value().startswith(KERNEL_PREFIX)]
        probes = []
        for k, call in enumerate(calls):
            number = int(call.callee.string_value().split(".")[1])
            probes.append(stages[number] if number < len(stages) else call.callee.string_value())
            _insert_probe(InsertPoint.before(call), 2 * k)
            _insert_probe(InsertPoint.after(call), 2 * k + 1)
        op.body.block.insert_op_before(func.FuncOp.external(PROBE, [i32], []), run)
        op.attributes[MANIFEST_ATTR] = ManifestAttr(
            *manifest.parameters[:-1], ArrayAttr([StringAttr(p) for p in probes]))


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
