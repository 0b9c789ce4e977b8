"""relax-precision: let kernels with a precision policy trade exactness for speed (opt-in).

`runec --precision=relaxed` runs this pass first: every proc block whose kernel declares a
`precision` argument (fft: f32 instead of f64 in the mel filterbank and sqrt; noise_filtering: a
polynomial f32 log2 instead of libm's f64 one) gets `precision = "relaxed"`. The choice is an
ordinary stage argument, so it shows in the IR, and a Runefile can relax a single stage with
`precision: relaxed`. The default (exact) build never runs this pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir import dialect as rd
from rune.ir.attr_values import from_attr, to_attr
from rune.kernels import lookup
from rune.kernels.base import ProcBlockError
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

PRECISION_ARG = "precision"


def has_precision_policy(kernel: str) -> bool:
    try:
        block = lookup(kernel)
    except ProcBlockError:
        return False  # a custom kernel that cannot load: check-types reports it
    return block is not None and any(s.name == PRECISION_ARG for s in block.arg_specs)


class RelaxStage(RewritePattern):
    """Give a precision-aware stage `precision = "relaxed"`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rd.ProcBlockOp, rewriter: PatternRewriter) -> None:
        args = from_attr(op.args)
        assert isinstance(args, dict)
        if args.get(PRECISION_ARG) == "relaxed" or not has_precision_policy(op.kernel.data):
            return
        relaxed = {**args, PRECISION_ARG: "relaxed"}
        op.properties["args"] = DictionaryAttr({k: to_attr(v) for k, v in relaxed.items()})
        rewriter.notify_op_modified(op)


@dataclass(frozen=True)
class RelaxPrecisionPass(ModulePass):
    """Set every precision-aware stage to relaxed."""

    name = "relax-precision"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(RelaxStage(), apply_recursively=False).rewrite_module(op)
