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
from rune.ir.attrs import FusedStepAttr
from rune.kernels import lookup
from rune.kernels.base import ElementwiseProcBlock
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter


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


def _fuse_into(consumer: rd.ProcBlockOp, slot: int) -> None:
    producer = consumer.inputs[slot].owner
    assert isinstance(producer, rd.ProcBlockOp)
    step = FusedStepAttr(
        producer.stage,
        producer.kernel,
        producer.args,
        StringAttr(input_sigs(producer)[0][0]),  # reads: after the producer's own chain
        StringAttr(rd.tensor_sig(producer.outputs[0].type)[0]),
    )
    chains = fused_chains(consumer)
    chains[slot] = [*fused_chains(producer)[0], step, *chains[slot]]
    consumer.operands[slot] = producer.inputs[0]
    consumer.fused = ArrayAttr([ArrayAttr(chain) for chain in chains])
    Rewriter.erase_op(producer)


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
                        _fuse_into(consumer, slot)
