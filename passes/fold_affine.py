"""fold-affine: merge consecutive affine/standardize stages into one multiply-add.

(x * s1 + o1) * s2 + o2 becomes x * (s1 s2) + (o1 s2 + o2), and standardize(mean, std) is the
affine map (1/std, -mean/std), so a whole scale-and-normalise chain costs two operations per
element. The constants are folded in f64 at compile time; the result can differ from the
unfolded chain by rounding: at most 2 ulp of the largest term, |x s1 s2| + |o1 s2| + |o2|
(tests/passes/test_fold_affine.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir import dialect as rd
from rune.ir.attr_values import from_attr, to_attr
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

AFFINE_KERNELS = ("affine", "standardize")


def as_affine(op: rd.ProcBlockOp) -> tuple[float, float]:
    """(scale, offset) of an affine or standardize stage."""
    args = from_attr(op.args)
    assert isinstance(args, dict)
    if op.kernel.data == "affine":
        return float(args.get("scale", 1.0)), float(args.get("offset", 0.0))
    std, mean = float(args.get("std", 1.0)), float(args.get("mean", 0.0))
    return 1.0 / std, -mean / std


def _foldable(op: object) -> bool:
    return (
        isinstance(op, rd.ProcBlockOp)
        and op.kernel.data in AFFINE_KERNELS
        and op.fused is None
        and len(op.inputs) == 1
    )


class FoldAffineChain(RewritePattern):
    """affine(affine(x)) → affine(x), when the inner result has no other user."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rd.ProcBlockOp, rewriter: PatternRewriter) -> None:
        producer = op.inputs[0].owner
        if not (_foldable(op) and _foldable(producer)):
            return
        assert isinstance(producer, rd.ProcBlockOp)
        if len(list(producer.outputs[0].uses)) != 1:
            return
        inner, outer = as_affine(producer), as_affine(op)
        scale, offset = inner[0] * outer[0], inner[1] * outer[0] + outer[1]
        args = DictionaryAttr({"scale": to_attr(scale), "offset": to_attr(offset)})
        merged = rd.ProcBlockOp(op.stage_name, "affine", args, [producer.inputs[0]],
                                [op.outputs[0].type])
        rewriter.replace(op, merged)
        rewriter.erase(producer)


@dataclass(frozen=True)
class FoldAffinePass(ModulePass):
    """Fold chains of affine/standardize stages into one affine stage."""

    name = "fold-affine"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldAffineChain()).rewrite_module(op)
