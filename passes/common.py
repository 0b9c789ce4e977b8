"""What the passes share, in one small module every pass imports (no pass imports another).

- `StageError`: a failure that names its stage, so the driver points at the stage's line;
- the facts one pass attaches and a later one reads: the memory plan (`plan_of`; plan-memory
  writes it under `PLAN_ATTR`) and the elementwise steps fused into a proc block's inputs
  (`fused_chains`, `input_sigs`; fuse-elementwise writes them);
- `tensors_of`: every tensor of a pipeline, in the order the manifest numbers them;
- `MANIFEST_ATTR`: where lower-pipeline puts the typed manifest (insert-stage-probes adds to it),
  and `COMPILED_MODELS_ATTR`, where import-models lists the models it compiled for it.
"""

from __future__ import annotations

from rune.ir import dialect as rd
from rune.ir.attrs import FusedStepAttr, MemoryPlanAttr
from rune.ir.dialect import tensor_bytes
from rune.passes.memory.lifetimes import memory_plan, tensors_of

__all__ = ["COMPILED_MODELS_ATTR", "MANIFEST_ATTR", "PLAN_ATTR", "StageError", "fused_chains",
           "input_sigs", "plan_of", "tensors_of"]

PLAN_ATTR = "rune.memory_plan"
MANIFEST_ATTR = "rune.manifest"
COMPILED_MODELS_ATTR = "rune.compiled_models"  # import-models, on a pipeline


class StageError(Exception):
    """A stage cannot be lowered; names the stage so the driver can point at it."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def fused_chains(op: rd.ProcBlockOp) -> list[list[FusedStepAttr]]:
    """Per input, the steps already fused into it."""
    if op.fused is None:
        return [[] for _ in op.inputs]
    return [list(chain.data) for chain in op.fused.data]  # type: ignore[union-attr]


def input_sigs(op: rd.ProcBlockOp) -> list[tuple[str, tuple[int, ...]]]:
    """What the kernel sees on each input: the fused chain's result type, or the tensor's own."""
    sigs = []
    for value, chain in zip(op.inputs, fused_chains(op), strict=True):
        element, shape = rd.tensor_sig(value.type)
        sigs.append((chain[-1].makes.data if chain else element, shape))
    return sigs


def plan_of(pipeline: rd.PipelineOp) -> MemoryPlanAttr:
    """The pipeline's plan, or a naive one when plan-memory did not run (-O0)."""
    attr = pipeline.attributes.get(PLAN_ATTR)
    if attr is None:
        return memory_plan(pipeline, "naive")
    if not isinstance(attr, MemoryPlanAttr):
        raise ValueError(f"{PLAN_ATTR} must be a #rune.memory_plan, got {attr}")
    values = tensors_of(pipeline)
    slots = attr.tensors.data
    if [slot.id.data for slot in slots] != list(range(len(values))):
        raise ValueError(f"{PLAN_ATTR} must give tensors 0 to {len(values) - 1} a slot each, "
                         "in order")
    for slot, value in zip(slots, values, strict=True):
        end = slot.offset.data + tensor_bytes(value.type)
        if slot.bytes.data != tensor_bytes(value.type) or end > attr.arena_bytes.data:
            raise ValueError(f"{PLAN_ATTR}: tensor {slot.id.data} ({tensor_bytes(value.type)} "
                             f"bytes at {slot.offset.data}) does not fit its slot or the arena")
    return attr
