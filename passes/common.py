"""What the passes share, in one small module every pass imports (no pass imports another).

- `StageError`: a failure that names its stage, so the driver points at the stage's line;
- the facts one pass attaches and a later one reads: the memory plan (`plan_of`; plan-memory
  writes it under `PLAN_ATTR`) and the elementwise steps fused into a proc block's inputs
  (`fused_chains`, `input_sigs`; fuse-elementwise writes them);
- `tensors_of`: every tensor of a pipeline, in the order the manifest numbers them.
"""

from __future__ import annotations

from rune.ir import dialect as rd
from rune.ir.attr_values import from_attr
from rune.passes.memory.lifetimes import memory_plan, tensors_of
from xdsl.dialects.builtin import DictionaryAttr, StringAttr

__all__ = ["PLAN_ATTR", "StageError", "fused_chains", "input_sigs", "plan_of", "tensors_of"]

PLAN_ATTR = "rune.memory_plan"


class StageError(Exception):
    """A stage cannot be lowered; names the stage so the driver can point at it."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def fused_chains(op: rd.ProcBlockOp) -> list[list[DictionaryAttr]]:
    """Per input, the steps already fused into it."""
    if op.fused is None:
        return [[] for _ in op.inputs]
    return [list(chain.data) for chain in op.fused.data]  # type: ignore[union-attr]


def input_sigs(op: rd.ProcBlockOp) -> list[tuple[str, tuple[int, ...]]]:
    """What the kernel sees on each input: the fused chain's result type, or the tensor's own."""
    sigs = []
    for value, chain in zip(op.inputs, fused_chains(op), strict=True):
        element, shape = rd.tensor_sig(value.type)
        to = chain[-1].data["to"] if chain else None
        sigs.append((to.data if isinstance(to, StringAttr) else element, shape))
    return sigs


def plan_of(pipeline: rd.PipelineOp) -> dict:
    """The pipeline's plan, or a naive one when plan-memory did not run (-O0)."""
    attr = pipeline.attributes.get(PLAN_ATTR)
    if attr is None:
        return memory_plan(pipeline, "naive")
    return from_attr(attr)  # type: ignore[return-value]
