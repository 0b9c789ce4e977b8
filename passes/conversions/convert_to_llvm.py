"""convert-to-llvm: arith, math, memref, func and cf to the llvm dialect.

Like MLIR's `convert-to-llvm`, one pass owns the whole conversion, because a value's type (index,
memref) changes for all its users at once. It runs three ordered walks: element accesses first,
while every buffer still has its memref type (shape and strides); then loop variables; then every
other op; then function signatures and entry-block arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.passes.conversions.arith_to_llvm import ArithToLLVM
from rune.passes.conversions.func_to_llvm import CallsToLLVM, FuncToLLVM, convert_block_args
from rune.passes.conversions.llvm_types import LLVMTypeConverter
from rune.passes.conversions.math_to_llvm import MathToLLVM
from rune.passes.conversions.memref_to_llvm import MemRefAccessToLLVM, MemRefToLLVM
from rune.passes.conversions.vector_to_llvm import VectorAccessToLLVM, VectorToLLVM
from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import GreedyRewritePatternApplier, PatternRewriteWalker


@dataclass(frozen=True)
class ConvertToLLVMPass(ModulePass):
    """Lower loops on memory (after convert-scf-to-cf), with their vector and simd ops, to the
    llvm dialect."""

    name = "convert-to-llvm"

    index_bits: int = 32

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        types = LLVMTypeConverter(self.index_bits)
        # Every pattern rewrites an op into finished llvm ops, so one sweep is enough.
        walk = lambda *patterns: PatternRewriteWalker(  # noqa: E731
            GreedyRewritePatternApplier(list(patterns)), apply_recursively=False,
        ).rewrite_module(op)
        walk(MemRefAccessToLLVM(types), VectorAccessToLLVM(types))
        # Loop variables (non-entry block arguments) become iN before the arithmetic on them is
        # rewritten, so that every new llvm op infers an already converted type.
        for function in op.walk():
            if isinstance(function, func.FuncOp):
                for block in list(function.body.blocks)[1:]:
                    convert_block_args(block, types.convert)
        walk(ArithToLLVM(types), MathToLLVM(), MemRefToLLVM(types), CallsToLLVM(types),
             VectorToLLVM())
        walk(FuncToLLVM(types))
