"""elide-softmax-before-argmax: the top-1 index after a model's int8 SOFTMAX reads the logits.

`most_confident_indices{count = 1}` after a compiled model's last operator, an int8 SOFTMAX
over one row, needs only which elements of the softmax's output are largest. That is not
trivially the logits' argmax: the quantised softmax is monotone but not strictly so, and two
different logits can quantise to the same output (a tie the consumer breaks by index, which
may pick another element than the logits' maximum). So the rewrite is made only where a
compile-time proof shows that no logit below the row's maximum can reach the maximum's output.

The proof, for reference_ops::Softmax (int8 -> int8, output scale 1/256, zero point -128):
element i's output is clamp(round(256 * E[d_i] / s) - 128) up to the fixed-point reciprocal's
error (below 2^-18 of an output step), where d_i = max - x_i, E[d] is the exp table
(non-increasing in d) and s = sum of the row's E[d_j] (Q12-rounded) lies in [E[0], D * E[0]]
for D elements. Every logit below the maximum has d >= 1, and E[1] >= E[d], so if
256 * (E[0] - E[1]) / (D * E[0]) >= 1 + 2^-8, its unrounded output is more than one step below
the maximum's and rounds below it; the clamp at 127 cannot join them (an element below the
maximum has at most half the row's sum). Equal logits give equal outputs. So the set of
largest outputs is exactly the set of largest logits, and the consumer's index (ties by
index) is the same bit for bit. microspeech (scale 0.0652, 6 labels) passes: the left side is
2.69; a softmax over many labels or with a small input scale does not, and stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rune.ir import dialect as rd
from rune.ir import tfl
from rune.ir.tfl_fixed_point import softmax_int8_exp
from rune.passes.common import fused_chains
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

#: The output quantisation of every int8 TFLite softmax (LiteRT's Prepare enforces it).
OUTPUT_SCALE, OUTPUT_ZERO = 1.0 / 256.0, -128
#: Slack for the fixed-point reciprocal and the Q12 rounding of the sum (both below 2^-18).
MARGIN = 1.0 + 2.0**-8


def strictly_ordered_at_top(in_scale: float, beta: float, depth: int) -> bool:
    """Whether every logit below a row's maximum gets a smaller int8 softmax output than it."""
    top, next_ = softmax_int8_exp(in_scale, beta, 0), softmax_int8_exp(in_scale, beta, 1)
    return 256.0 * (top - next_) / (depth * top) >= MARGIN


def _top1(op: rd.ProcBlockOp) -> bool:
    if op.kernel.data != "most_confident_indices" or len(op.inputs) != 1:
        return False
    count = op.args.data.get("count") if op.args is not None else None
    return (count is None or count.value.data == 1) and not fused_chains(op)[0]


def _provable(softmax: tfl.TflOp) -> bool:
    element, shape = rd.tensor_sig(softmax.inputs[0].type)
    out_element, _ = rd.tensor_sig(softmax.outputs[0].type)
    in_q, out_q = softmax.quant_of(0), softmax.output_quant()
    if element != "i8" or out_element != "i8" or in_q is None or out_q is None:
        return False
    depth = shape[-1] if shape else 1
    one_row = all(d == 1 for d in shape[:-1])
    in_scale = float(np.float32(in_q.scales[0]))  # as the kernel and LiteRT read it
    return (one_row and out_q.scales == [OUTPUT_SCALE] and out_q.zero_points == [OUTPUT_ZERO]
            and strictly_ordered_at_top(in_scale, softmax.option("beta"), depth))


class ReadLogitsForTop1(RewritePattern):
    """most_confident_indices{count=1}(softmax(x)) -> most_confident_indices(x), when proven."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rd.ProcBlockOp, rewriter: PatternRewriter) -> None:
        softmax = op.inputs[0].owner if op.inputs else None
        if not (tfl.is_operator(softmax, "SOFTMAX")
                and _top1(op) and len(list(softmax.outputs[0].uses)) == 1
                and _provable(softmax)):
            return
        op.operands[0] = softmax.inputs[0]
        rewriter.erase(softmax)


@dataclass(frozen=True)
class ElideSoftmaxBeforeArgmaxPass(ModulePass):
    """Drop a compiled int8 SOFTMAX whose only reader takes the top-1 index, where proven."""

    name = "elide-softmax-before-argmax"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ReadLogitsForTop1()).rewrite_module(op)
