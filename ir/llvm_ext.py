"""`llvmx`: the few LLVM instructions xDSL's llvm dialect lacks, so conversions can target them.

Only `uitofp` is needed: float→int conversions use LLVM's saturating intrinsics
(`llvm.fptosi.sat`, `llvm.fptoui.sat`), which xDSL reaches through `llvm.call_intrinsic`.
"""

from __future__ import annotations

from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def


@irdl_op_definition
class UIToFPOp(IRDLOperation):
    """Unsigned integer to floating point (LLVM `uitofp`)."""

    name = "llvmx.uitofp"

    arg = operand_def()
    result = result_def()

    assembly_format = "$arg attr-dict `:` type($arg) `to` type($result)"

    def __init__(self, arg: SSAValue, result_type: Attribute) -> None:
        super().__init__(operands=[arg], result_types=[result_type])


LLVMExt = Dialect("llvmx", [UIToFPOp], [])
