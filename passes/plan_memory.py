"""plan-memory: give every tensor of the pipeline a static offset in one arena.

Lifetimes come from the schedule (the order of stages in the pipeline). A proc block that
declares `in_place` may write its output over its input when that input dies there, so the two
share one slot (except with the `naive` strategy, which shares nothing). The plan is an
attribute of the pipeline; lower-pipeline follows it, and the manifest records it
(`runec --memory-report` prints it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir import dialect as rd
from rune.ir.attrs import MemoryPlanAttr, TensorSlotAttr
from rune.ir.dialect import tensor_bytes
from rune.kernels import lookup
from rune.passes.memory.planner import (
    STRATEGIES,
    Interval,
    arena_size,
    check_plan,
    lower_bound,
    plan,
)
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

PLAN_ATTR = "rune.memory_plan"


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


def format_report(name: str, memory: dict) -> str:
    """The plan as `runec --memory-report` prints it."""
    lines = [
        f"memory plan for {name} ({memory['strategy']}):",
        f"  arena        {memory['arena_bytes']:>10} bytes",
        f"  naive sum    {memory['naive_bytes']:>10} bytes",
        f"  lower bound  {memory['lower_bound_bytes']:>10} bytes",
        "  tensor      offset       size  live",
    ]
    for t in memory["tensors"]:
        live = f"{t['first']}..{t['last']}"
        lines.append(f"  {t['id']:>6} {t['offset']:>11} {t['bytes']:>10}  {live}")
    return "\n".join(lines)


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


@dataclass(frozen=True)
class PlanMemoryPass(ModulePass):
    """Assign arena offsets from tensor lifetimes (strategy: naive or greedy-by-size)."""

    name = "plan-memory"

    strategy: str = "greedy-by-size"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"plan-memory: unknown strategy {self.strategy!r}; "
                             f"expected one of {', '.join(STRATEGIES)}")
        for pipeline in op.walk():
            if isinstance(pipeline, rd.PipelineOp):
                pipeline.attributes[PLAN_ATTR] = memory_plan(pipeline, self.strategy)
