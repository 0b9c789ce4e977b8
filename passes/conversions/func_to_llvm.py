"""func and cf → llvm: functions, calls, returns and branches.

Public functions become wasm exports; bodiless ones are host imports, tagged with their wasm
import module and name (`rune_X` is import X of module `rune`; native targets link the C symbol
`rune_X` itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.abi.imports import IMPORT_MODULE_ATTR, IMPORT_NAME_ATTR
from rune.passes.conversions.llvm_types import LLVMTypeConverter
from xdsl.dialects import cf, func, llvm
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, Region
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern
from xdsl.rewriter import Rewriter

#: A unit attribute on a func.func that LLVM must not inline (the backend adds `noinline`):
#: compiled models' layers, each called once, would otherwise all be inlined into `rune_run`,
#: one function so large that LLVM's optimiser takes minutes on it (style transfer).
NOINLINE_ATTR = "rune.noinline"


@dataclass
class CallsToLLVM(RewritePattern):
    """Calls, returns and branches; function signatures are converted last, by FuncToLLVM."""

    types: LLVMTypeConverter

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        match op:
            case func.CallOp():
                results = op.results
                rewriter.replace(
                    op,
                    llvm.CallOp(
                        op.callee.root_reference.data,
                        *op.arguments,
                        return_type=self.types.convert(results[0].type) if results else None,
                    ),
                )
            case func.ReturnOp():
                rewriter.replace(op, llvm.ReturnOp(op.arguments[0] if op.arguments else None))
            case cf.BranchOp():
                rewriter.replace(op, llvm.BrOp(op.successor, *op.arguments))
            case cf.ConditionalBranchOp():
                rewriter.replace(
                    op,
                    llvm.CondBrOp(op.cond, op.then_block, op.then_arguments, op.else_block,
                                  op.else_arguments),
                )
            case _:
                pass


@dataclass
class FuncToLLVM(RewritePattern):
    """Function signatures and block arguments, once their bodies are converted."""

    types: LLVMTypeConverter

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, func.FuncOp):
            rewriter.replace(op, self._function(op), safe_erase=False)

    def _function(self, op: func.FuncOp) -> llvm.FuncOp:
        conv = self.types.convert
        inputs = [conv(t) for t in op.function_type.inputs.data]
        outputs = [conv(t) for t in op.function_type.outputs.data]
        fn_type = llvm.LLVMFunctionType(inputs, outputs[0] if outputs else None)
        private = op.sym_visibility is not None and op.sym_visibility.data == "private"
        name = op.sym_name.data
        declaration = op.is_declaration
        extra: dict = {}
        if declaration:
            module, _, field = name.partition("_")
            extra = {IMPORT_MODULE_ATTR: StringAttr(module), IMPORT_NAME_ATTR: StringAttr(field)}
        body = Region()
        op.body.move_blocks(body)
        for block in body.blocks:
            convert_block_args(block, conv)
        if NOINLINE_ATTR in op.attributes:
            extra[NOINLINE_ATTR] = op.attributes[NOINLINE_ATTR]
        linkage = "external" if declaration or not private else "internal"
        return llvm.FuncOp(name, fn_type, llvm.LinkageAttr(linkage), body=body, extra_attrs=extra)


def convert_block_args(block: Block, conv) -> None:
    for arg in list(block.args):
        new_type = conv(arg.type)
        if new_type != arg.type:
            Rewriter.replace_value_with_new_type(arg, new_type)
