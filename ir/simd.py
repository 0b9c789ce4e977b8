"""`simd`: the wasm SIMD128 instructions the integer kernels need and LLVM's vectoriser does
not reliably find, as ops on `vector` types (like MLIR's `x86vector` and `arm_neon`).

Only `simd.dot_i16x8` so far: `i32x4.dot_i16x8_s`, lane i = a[2i]*b[2i] + a[2i+1]*b[2i+1].
Written as generic LLVM IR (sign-extend, multiply, shuffle even and odd lanes, add) it becomes
two extended multiplies and two shuffles on wasm; the intrinsic is one instruction. Kernels
emit it only when the target has SIMD128 (`KernelBuilder.simd`).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerType, VectorType
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def
from xdsl.utils.exceptions import VerifyException

I16X8 = VectorType(IntegerType(16), [8])
I32X4 = VectorType(IntegerType(32), [4])


@irdl_op_definition
class DotI16x8Op(IRDLOperation):
    """Pairwise products of two i16x8 vectors summed into i32x4 (`i32x4.dot_i16x8_s`)."""

    name = "simd.dot_i16x8"

    lhs = operand_def()
    rhs = operand_def()
    result = result_def()

    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue) -> None:
        super().__init__(operands=[lhs, rhs], result_types=[I32X4])

    def verify_(self) -> None:
        for operand in (self.lhs, self.rhs):
            if operand.type != I16X8:
                raise VerifyException(f"simd.dot_i16x8 takes vector<8xi16> operands, "
                                      f"got {operand.type}")
        if self.result.type != I32X4:
            raise VerifyException(f"simd.dot_i16x8 gives vector<4xi32>, got {self.result.type}")


Simd = Dialect("simd", [DotI16x8Op], [])
