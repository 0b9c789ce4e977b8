"""fuse-elementwise: fold elementwise producers into their consumer's loads.

A proc block P fuses into a consumer C when P is elementwise, C is P's only user, and C reads its
inputs through loads (`accepts_fused_inputs`). C then reads P's input and applies P to each
element as it loads it, so P's output tensor never exists in memory. Chains fuse transitively
(cast → scale → normalize → argmax is one loop nest). A producer is recomputed, never shared:
so it fuses into a consumer that reads elements more than once only if it is `cheap`. The
arithmetic is unchanged (same operations, same order, same types), so fused results are
bit-identical to unfused ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir import dialect as rd
from rune.kernels import lookup
from rune.kernels.base import ElementwiseProcBlock
from rune.passes.common import fuse_producer
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


def _can_fuse(producer, consumer: rd.ProcBlockOp) -> bool:
    if not isinstance(producer, rd.ProcBlockOp) or producer is consumer:
        return False
    block, user = lookup(producer.kernel.data), lookup(consumer.kernel.data)
    return (
        isinstance(block, ElementwiseProcBlock)
        and user is not None
        and user.accepts_fused_inputs
        and (user.reads_inputs_once or block.cheap)
        and len(producer.results) == 1
        and len(list(producer.results[0].uses)) == 1
    )


@dataclass(frozen=True)
class FuseElementwisePass(ModulePass):
    """Fuse single-use elementwise proc blocks into the kernels that consume them."""

    name = "fuse-elementwise"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for pipeline in [p for p in op.walk() if isinstance(p, rd.PipelineOp)]:
            for consumer in list(pipeline.body.ops):
                if not isinstance(consumer, rd.ProcBlockOp):
                    continue
                for slot in range(len(consumer.inputs)):
                    while _can_fuse(consumer.inputs[slot].owner, consumer):
                        fuse_producer(consumer, slot)
