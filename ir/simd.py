"""`simd`: the wasm SIMD128 instructions the integer kernels need and LLVM's vectoriser does
not reliably find, as ops on `vector` types (like MLIR's `x86vector` and `arm_neon`).

- `simd.dot_i16x8`: `i32x4.dot_i16x8_s`, lane i = a[2i]*b[2i] + a[2i+1]*b[2i+1]. Written as
  generic LLVM IR (sign-extend, multiply, shuffle even and odd lanes, add) it becomes two
  extended multiplies and two shuffles on wasm; the intrinsic is one instruction.
- `simd.narrow`: `i16x8.narrow_i32x4_s` and `i8x16.narrow_i16x8_{s,u}`, the lanes of two
  vectors in one of half-width lanes, saturating (a clamp for free); LLVM's `trunc` wraps.

- `simd.opaque_load`: a `vector.load` whose value LLVM may not constant-fold (a volatile
  load): requantisation multipliers from a constant table stay i32 operands, so their i64
  products are `i64x2.extmul_{low,high}_i32x4_s`; folded to i64 constants (a loop of one
  iteration, unrolled) they became a full `i64x2.mul`, several x86 instructions on Cranelift.

Kernels emit them only when the target has SIMD128 (`KernelBuilder.simd`).

`simd.extend`, `simd.truncate` and `simd.to_float` are lane-wise casts, the vector forms of
arith.extsi/extui/trunci/sitofp/uitofp (xDSL's arith takes scalars only there); they lower to
LLVM's sext/zext/trunc/sitofp/uitofp and work on any target.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    MemRefType,
    UnitAttr,
    VectorType,
)
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    result_def,
    var_operand_def,
)
from xdsl.utils.exceptions import VerifyException

I16X8 = VectorType(IntegerType(16), [8])
I32X4 = VectorType(IntegerType(32), [4])
I8X16 = VectorType(IntegerType(8), [16])
#: simd.narrow: operand type -> result type
NARROWER = {I32X4: I16X8, I16X8: I8X16}


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


@irdl_op_definition
class NarrowOp(IRDLOperation):
    """Two vectors' lanes (lhs first) in one vector of half-width lanes, saturating to the
    signed range, or with `unsigned` (i16 -> i8 only) to the unsigned one."""

    name = "simd.narrow"

    lhs = operand_def()
    rhs = operand_def()
    unsigned = opt_prop_def(UnitAttr)
    result = result_def()

    assembly_format = ("$lhs `,` $rhs (`unsigned` $unsigned^)? attr-dict `:` type($lhs) `,` "
                       "type($rhs) `->` type($result)")

    def __init__(self, lhs: SSAValue, rhs: SSAValue, unsigned: bool = False) -> None:
        super().__init__(operands=[lhs, rhs], result_types=[NARROWER[lhs.type]],
                         properties={"unsigned": UnitAttr()} if unsigned else {})

    def verify_(self) -> None:
        if self.lhs.type not in NARROWER or self.rhs.type != self.lhs.type:
            raise VerifyException(f"simd.narrow takes two vector<4xi32> or two vector<8xi16>, "
                                  f"got {self.lhs.type} and {self.rhs.type}")
        if self.result.type != NARROWER[self.lhs.type]:
            raise VerifyException(f"simd.narrow of {self.lhs.type} gives "
                                  f"{NARROWER[self.lhs.type]}, not {self.result.type}")
        if self.unsigned is not None and self.lhs.type != I16X8:
            raise VerifyException("simd.narrow to unsigned lanes takes vector<8xi16>")


class _LaneCast(IRDLOperation):
    """A vector of integers to one of as many lanes of another width."""

    arg = operand_def()
    result = result_def()

    def _widths(self) -> tuple[int, int]:
        source, target = self.arg.type, self.result.type
        if not (isinstance(source, VectorType) and isinstance(target, VectorType)
                and isinstance(source.element_type, IntegerType)
                and isinstance(target.element_type, IntegerType)
                and source.get_shape() == target.get_shape()):
            raise VerifyException(f"{self.name} casts integer vectors of one shape, got "
                                  f"{source} to {target}")
        return source.element_type.width.data, target.element_type.width.data


@irdl_op_definition
class ExtendOp(_LaneCast):
    """Each lane sign-extended (zero-extended with `unsigned`) to wider lanes."""

    name = "simd.extend"
    unsigned = opt_prop_def(UnitAttr)
    assembly_format = "$arg (`unsigned` $unsigned^)? attr-dict `:` type($arg) `to` type($result)"

    def __init__(self, arg: SSAValue, result_type: VectorType, unsigned: bool = False) -> None:
        super().__init__(operands=[arg], result_types=[result_type],
                         properties={"unsigned": UnitAttr()} if unsigned else {})

    def verify_(self) -> None:
        source, target = self._widths()
        if target <= source:
            raise VerifyException(f"simd.extend widens lanes, got i{source} to i{target}")


@irdl_op_definition
class TruncateOp(_LaneCast):
    """Each lane's low bits (wrapping) in narrower lanes."""

    name = "simd.truncate"
    assembly_format = "$arg attr-dict `:` type($arg) `to` type($result)"

    def __init__(self, arg: SSAValue, result_type: VectorType) -> None:
        super().__init__(operands=[arg], result_types=[result_type])

    def verify_(self) -> None:
        source, target = self._widths()
        if target >= source:
            raise VerifyException(f"simd.truncate narrows lanes, got i{source} to i{target}")


@irdl_op_definition
class ToFloatOp(IRDLOperation):
    """Each integer lane (unsigned with `unsigned`) converted to a float lane, rounded to
    nearest (exact for lanes narrower than the float's mantissa)."""

    name = "simd.to_float"

    arg = operand_def()
    unsigned = opt_prop_def(UnitAttr)
    result = result_def()

    assembly_format = "$arg (`unsigned` $unsigned^)? attr-dict `:` type($arg) `to` type($result)"

    def __init__(self, arg: SSAValue, result_type: VectorType, unsigned: bool = False) -> None:
        super().__init__(operands=[arg], result_types=[result_type],
                         properties={"unsigned": UnitAttr()} if unsigned else {})

    def verify_(self) -> None:
        source, target = self.arg.type, self.result.type
        if not (isinstance(source, VectorType) and isinstance(target, VectorType)
                and isinstance(source.element_type, IntegerType)
                and isinstance(target.element_type, Float32Type | Float64Type)
                and source.get_shape() == target.get_shape()):
            raise VerifyException(f"simd.to_float converts an integer vector to a float vector "
                                  f"of one shape, got {source} to {target}")


@irdl_op_definition
class OpaqueLoadOp(IRDLOperation):
    """base[indices...] as a vector of `result`'s lanes, read at run time even from a constant
    table: the optimiser may not fold the value (nor merge or move the load)."""

    name = "simd.opaque_load"

    base = operand_def()
    indices = var_operand_def(IndexType())
    result = result_def()

    assembly_format = "$base `[` $indices `]` attr-dict `:` type($base) `,` type($result)"

    def __init__(self, base: SSAValue, indices: list[SSAValue], result_type: VectorType) -> None:
        super().__init__(operands=[base, indices], result_types=[result_type])

    def verify_(self) -> None:
        base, result = self.base.type, self.result.type
        if not (isinstance(base, MemRefType) and isinstance(result, VectorType)
                and result.element_type == base.element_type):
            raise VerifyException(f"simd.opaque_load reads a vector of a memref's elements, "
                                  f"got {result} from {base}")
        if len(self.indices) != base.get_num_dims():
            raise VerifyException(f"simd.opaque_load takes one index per dimension of {base}")


Simd = Dialect("simd", [DotI16x8Op, NarrowOp, ExtendOp, TruncateOp, ToFloatOp, OpaqueLoadOp],
               [])
