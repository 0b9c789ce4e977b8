"""fuse-elementwise-into-model-inputs: element-wise pre-processing computed on a model's loads.

A proc block P fuses into a compiled model's operator T (a `tfl` op, before
lower-tfl-to-loops) when P is element-wise (`ElementwiseProcBlock`), `cheap`, its output keeps
its input's shape, and T is the only user of P's output. T's operand becomes P's input and P
joins the chain of `#rune.fused_step`s in T's `rune.fused` attribute; lower-tfl-to-loops builds
T's kernel with that chain applied on every load of the operand (`KernelBuilder.load`), so P's
output tensor never exists and its arena slot and its pass over memory go. Chains fuse
transitively (modulo after affine, ...), in pipeline order.

Legality, i.e. the rune's outputs are bit for bit those of the rune without this pass:
- every tfl kernel reads its runtime inputs through `KernelBuilder.load` only (none takes an
  input's address or stores to it; `Buffer`s with steps refuse both), so each element T reads
  is P's function applied to the element of P's input at the same index: the value P would
  have stored there, computed by the same operations in the same order and types
  (`ElementwiseProcBlock.apply`, the function P's own kernel applies);
- P's function depends on nothing but the element and P's arguments (no state, no position),
  so computing it again for an element T reads more than once gives the same value each time;
  only `cheap` producers fuse, so a convolution that reads each element once per tap does not
  repeat an expensive one (sigmoid's exp);
- T's verifier and kernel see the same shape (P keeps it) and element type (the chain's last
  `makes`, which `input_sigs` gives lower-tfl-to-loops) as before.
Passes after this one see a `rune.call` reading P's input; plan-memory has one tensor less.
It runs last of `registry.ACROSS_MODELS`: the other boundary passes rebuild tfl ops from their
operands and would not carry a `rune.fused` chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir import dialect as rd
from rune.ir import tfl
from rune.kernels import lookup
from rune.kernels.base import ElementwiseProcBlock
from rune.passes.common import fuse_producer
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass


def _fusable(producer: Operation) -> bool:
    """A cheap, shape-keeping element-wise proc block whose one output has one user."""
    if not isinstance(producer, rd.ProcBlockOp) or len(producer.inputs) != 1 \
            or len(producer.results) != 1:
        return False
    block = lookup(producer.kernel.data)
    return (isinstance(block, ElementwiseProcBlock) and block.cheap
            and rd.tensor_sig(producer.inputs[0].type)[1]
            == rd.tensor_sig(producer.results[0].type)[1]
            and len(list(producer.results[0].uses)) == 1)


@dataclass(frozen=True)
class FuseElementwiseIntoModelInputsPass(ModulePass):
    """Fuse single-use element-wise proc blocks into the compiled-model operators they feed."""

    name = "fuse-elementwise-into-model-inputs"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for pipeline in [p for p in op.walk() if isinstance(p, rd.PipelineOp)]:
            for consumer in list(pipeline.body.ops):
                if not isinstance(consumer, tfl.TflOp):
                    continue
                for slot in range(len(consumer.operands)):
                    while _fusable(consumer.operands[slot].owner):
                        fuse_producer(consumer, slot)
