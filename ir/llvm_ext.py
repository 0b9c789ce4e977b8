"""`llvmx`: the few LLVM instructions xDSL's llvm dialect lacks, so conversions can target them.

`uitofp` (float→int conversions use LLVM's saturating intrinsics, `llvm.fptosi.sat` and
`llvm.fptoui.sat`, which xDSL reaches through `llvm.call_intrinsic`), and a volatile `load`
(`simd.opaque_load`'s lowering: xDSL's llvm.load has no volatile flag).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, IntegerType, i64
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
)


@irdl_op_definition
class UIToFPOp(IRDLOperation):
    """Unsigned integer to floating point (LLVM `uitofp`)."""

    name = "llvmx.uitofp"

    arg = operand_def()
    result = result_def()

    assembly_format = "$arg attr-dict `:` type($arg) `to` type($result)"

    def __init__(self, arg: SSAValue, result_type: Attribute) -> None:
        super().__init__(operands=[arg], result_types=[result_type])


@irdl_op_definition
class VolatileLoadOp(IRDLOperation):
    """A value of the result type loaded from a pointer, volatile (LLVM `load volatile`)."""

    name = "llvmx.load_volatile"

    ptr = operand_def()
    alignment = prop_def(IntegerAttr[IntegerType])
    result = result_def()

    assembly_format = "$ptr attr-dict `:` type($ptr) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, ptr: SSAValue, result_type: Attribute, alignment: int) -> None:
        super().__init__(operands=[ptr], result_types=[result_type],
                         properties={"alignment": IntegerAttr(alignment, i64)})


LLVMExt = Dialect("llvmx", [UIToFPOp, VolatileLoadOp], [])
