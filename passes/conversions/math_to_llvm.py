"""math → llvm: only the functions that become single wasm / Cortex-M instructions.

Anything that would become a libm call (exp, log, sin, ...) must be expanded in IR before this
conversion: a rune links against no C library.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.passes.conversions.arith_to_llvm import intrinsic_name
from xdsl.dialects import llvm, math
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

_INTRINSICS = {
    math.SqrtOp: "llvm.sqrt",
    math.TruncOp: "llvm.trunc",
    math.FloorOp: "llvm.floor",
    math.CeilOp: "llvm.ceil",
    math.AbsFOp: "llvm.fabs",
    math.RoundEvenOp: "llvm.roundeven",
    math.CopySignOp: "llvm.copysign",
}


@dataclass
class MathToLLVM(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        base = _INTRINSICS.get(type(op))
        if base is None:
            return
        typ = op.results[0].type
        rewriter.replace(
            op, llvm.CallIntrinsicOp(intrinsic_name(base, typ), list(op.operands), [typ])
        )
