"""arith → llvm: one instruction per op, types through the converter."""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir.llvm_ext import UIToFPOp
from rune.passes.conversions.llvm_types import LLVMTypeConverter
from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import AnyFloat, IndexType, IntegerAttr, IntegerType, VectorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

_INT_BINARY = {
    arith.AddiOp: llvm.AddOp,
    arith.SubiOp: llvm.SubOp,
    arith.MuliOp: llvm.MulOp,
    arith.DivUIOp: llvm.UDivOp,
    arith.DivSIOp: llvm.SDivOp,
    arith.RemUIOp: llvm.URemOp,
    arith.RemSIOp: llvm.SRemOp,
    arith.AndIOp: llvm.AndOp,
    arith.OrIOp: llvm.OrOp,
    arith.XOrIOp: llvm.XOrOp,
    arith.ShLIOp: llvm.ShlOp,
    arith.ShRUIOp: llvm.LShrOp,
    arith.ShRSIOp: llvm.AShrOp,
}
_FLOAT_BINARY = {
    arith.AddfOp: llvm.FAddOp,
    arith.SubfOp: llvm.FSubOp,
    arith.MulfOp: llvm.FMulOp,
    arith.DivfOp: llvm.FDivOp,
}
# wasm has f32.min/max; llvm.minimum/maximum reach them, minnum/maxnum become libm calls.
_FLOAT_INTRINSIC = {
    arith.MaximumfOp: "llvm.maximum",
    arith.MinimumfOp: "llvm.minimum",
}
_INT_MINMAX = {
    arith.MaxSIOp: "llvm.smax",
    arith.MinSIOp: "llvm.smin",
    arith.MaxUIOp: "llvm.umax",
    arith.MinUIOp: "llvm.umin",
}
_ICMP = {"eq": 0, "ne": 1, "slt": 2, "sle": 3, "sgt": 4, "sge": 5, "ult": 6, "ule": 7,
         "ugt": 8, "uge": 9}


def intrinsic_name(base: str, typ) -> str:
    """LLVM's overloaded-intrinsic suffix: llvm.maximum.f32, llvm.smax.i16, llvm.smax.v4i32"""
    if isinstance(typ, VectorType):
        lanes = "x".join(str(n) for n in typ.get_shape())
        return intrinsic_name(base, typ.element_type).replace(base + ".", f"{base}.v{lanes}", 1)
    if isinstance(typ, IntegerType):
        return f"{base}.i{typ.width.data}"
    return f"{base}.f{typ.bitwidth}"


@dataclass
class ArithToLLVM(RewritePattern):
    types: LLVMTypeConverter

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        new = self._convert(op)
        if isinstance(new, SSAValue):
            rewriter.replace(op, [], [new])
        elif new is not None:
            rewriter.replace(op, new)

    def _convert(self, op: Operation) -> Operation | SSAValue | None:
        conv = self.types.convert
        if isinstance(op, arith.ConstantOp):
            typ = conv(op.result.type)
            value = op.value
            if isinstance(value, IntegerAttr) and isinstance(value.type, IndexType):
                value = IntegerAttr(value.value.data, typ)
            return llvm.ConstantOp(value, typ)
        if type(op) in _INT_BINARY:
            return _INT_BINARY[type(op)](op.operands[0], op.operands[1])
        if type(op) in _FLOAT_BINARY:
            return _FLOAT_BINARY[type(op)](op.operands[0], op.operands[1])
        if type(op) in _FLOAT_INTRINSIC or type(op) in _INT_MINMAX:
            base = {**_FLOAT_INTRINSIC, **_INT_MINMAX}[type(op)]
            typ = op.results[0].type
            return llvm.CallIntrinsicOp(intrinsic_name(base, typ), list(op.operands), [typ])
        if isinstance(op, arith.NegfOp):
            return llvm.FNegOp(op.operand)
        if isinstance(op, arith.CmpiOp):
            predicate = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
            return llvm.ICmpOp(op.lhs, op.rhs, IntegerAttr(_ICMP[predicate], 64))
        if isinstance(op, arith.CmpfOp):
            predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
            return llvm.FCmpOp(op.lhs, op.rhs, predicate)
        if isinstance(op, arith.SelectOp):
            return llvm.SelectOp(op.cond, op.lhs, op.rhs)
        return self._convert_cast(op)

    def _convert_cast(self, op: Operation) -> Operation | SSAValue | None:
        if not isinstance(
            op,
            arith.ExtSIOp | arith.ExtUIOp | arith.TruncIOp | arith.ExtFOp | arith.TruncFOp
            | arith.SIToFPOp | arith.UIToFPOp | arith.FPToSIOp | arith.FPToUIOp
            | arith.IndexCastOp | arith.BitcastOp,
        ):
            return None
        source = op.operands[0]
        target = self.types.convert(op.results[0].type)
        match op:
            case arith.ExtSIOp():
                return llvm.SExtOp(source, target)
            case arith.ExtUIOp():
                return llvm.ZExtOp(source, target)
            case arith.TruncIOp():
                return llvm.TruncOp(source, target)
            case arith.ExtFOp():
                return llvm.FPExtOp(source, target)
            case arith.TruncFOp():
                return llvm.FPTruncOp(source, target)
            case arith.SIToFPOp():
                return llvm.SIToFPOp(source, target)
            case arith.UIToFPOp():
                return UIToFPOp(source, target)
            case arith.FPToSIOp() | arith.FPToUIOp():
                # Saturating: out-of-range values clamp and NaN gives 0, as Rust's `as` does.
                kind = "fptosi" if isinstance(op, arith.FPToSIOp) else "fptoui"
                src = source.type
                assert isinstance(src, AnyFloat) and isinstance(target, IntegerType)
                name = f"llvm.{kind}.sat.i{target.width.data}.f{src.bitwidth}"
                return llvm.CallIntrinsicOp(name, [source], [target])
            case arith.BitcastOp():
                return llvm.BitcastOp(source, target)
            case _:
                return self._index_cast(source, target)

    def _index_cast(self, source: SSAValue, target: IntegerType) -> Operation | SSAValue:
        source_bits = self.types.index_bits if isinstance(source.type, IndexType) else (
            source.type.width.data)
        target_bits = target.width.data
        if source_bits == target_bits:
            return source
        if source_bits > target_bits:
            return llvm.TruncOp(source, target)
        return llvm.SExtOp(source, target)
