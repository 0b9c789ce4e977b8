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
from rune.passes.common import PLAN_ATTR
from rune.passes.memory.lifetimes import memory_plan
from rune.passes.memory.planner import STRATEGIES
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


def format_report(manifest: dict) -> str:
    """The plan as `runec --memory-report` prints it, from the manifest's plain data: each
    tensor with the stage that makes it, so a compiled model's activations (stages
    `<model>#<operator>`) show among the kernels' tensors in the one arena."""
    memory = manifest["memory"]
    makers = {t: f"{s['name']} ({s['kind']})" for s in manifest.get("stages", [])
              for t in s["outputs"]}
    lines = [
        f"memory plan for {manifest['name']} ({memory['strategy']}):",
        f"  arena        {memory['arena_bytes']:>10} bytes",
        f"  naive sum    {memory['naive_bytes']:>10} bytes",
        f"  lower bound  {memory['lower_bound_bytes']:>10} bytes",
        "  tensor      offset       size  live    made by",
    ]
    for t in memory["tensors"]:
        live = f"{t['first']}..{t['last']}"
        lines.append(f"  {t['id']:>6} {t['offset']:>11} {t['bytes']:>10}  {live:<7} "
                     f"{makers.get(t['id'], '')}".rstrip())
    return "\n".join(lines)


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
