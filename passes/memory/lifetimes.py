"""A pipeline's memory plan as data: tensor lifetimes over the schedule, offsets from the planner.

Shared by the plan-memory pass (which attaches the plan) and `rune.passes.common.plan_of` (which
computes a naive plan when that pass did not run, at -O0).
"""

from __future__ import annotations

from rune.ir import dialect as rd
from rune.ir.attrs import MemoryPlanAttr, TensorSlotAttr
from rune.ir.dialect import tensor_bytes
from rune.kernels import lookup
from rune.passes.memory.planner import (
    Interval,
    arena_size,
    check_plan,
    lower_bound,
    plan,
)
from xdsl.dialects.builtin import ArrayAttr, IntAttr, StringAttr
from xdsl.ir import SSAValue


def tensors_of(pipeline: rd.PipelineOp) -> list[SSAValue]:
    """Every tensor in definition order: the ids the manifest uses."""
    return [value for stage in pipeline.body.ops for value in stage.results]


def memory_plan(pipeline: rd.PipelineOp, strategy: str) -> MemoryPlanAttr:
    """The plan: arena size, naive sum, lower bound, and each tensor's slot."""
    stages = list(pipeline.body.ops)
    step = {op: i for i, op in enumerate(stages)}
    values = tensors_of(pipeline)
    ids = {v: i for i, v in enumerate(values)}
    first = [step[v.owner] for v in values]
    last = [max([step[u.operation] for u in v.uses], default=step[v.owner]) for v in values]
    group = list(range(len(values)))  # in-place outputs join their input's slot
    for op in stages:
        if strategy != "naive" and _reuses_input(op, ids, last, step):
            group[ids[op.results[0]]] = group[ids[op.operands[0]]]
    slots = sorted(set(group))
    intervals = [
        Interval(
            max(tensor_bytes(values[i].type) for i in range(len(values)) if group[i] == s),
            min(first[i] for i in range(len(values)) if group[i] == s),
            max(last[i] for i in range(len(values)) if group[i] == s),
        )
        for s in slots
    ]
    offsets = plan(intervals, strategy)
    check_plan(intervals, offsets)
    slot_offset = dict(zip(slots, offsets, strict=True))
    singles = [Interval(tensor_bytes(v.type), first[i], last[i]) for i, v in enumerate(values)]
    slots_by_tensor = [
        TensorSlotAttr(IntAttr(i), IntAttr(slot_offset[group[i]]), IntAttr(singles[i].size),
                       IntAttr(first[i]), IntAttr(last[i]))
        for i in range(len(values))
    ]
    return MemoryPlanAttr(
        StringAttr(strategy),
        IntAttr(arena_size(intervals, offsets)),
        IntAttr(arena_size(singles, plan(singles, "naive"))),
        IntAttr(lower_bound(intervals)),
        ArrayAttr(slots_by_tensor),
    )


def _reuses_input(op, ids: dict, last: list[int], step: dict) -> bool:
    if not isinstance(op, rd.ProcBlockOp) or len(op.inputs) != 1 or len(op.outputs) != 1:
        return False
    block = lookup(op.kernel.data)
    source = op.inputs[0]
    return (
        block is not None
        and block.in_place
        and last[ids[source]] == step[op]
        and tensor_bytes(source.type) == tensor_bytes(op.outputs[0].type)
    )
