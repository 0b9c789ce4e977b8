"""vector and simd → llvm: the explicit vector ops of the integer kernels.

`vector.load`/`vector.store` of a 1-D memref become a GEP to the first element and a vector
load/store aligned to one element (kernels read vectors at any element offset), `simd.opaque_load`
the same with a volatile load (`llvmx.load_volatile`); `vector.shuffle`
becomes `shufflevector`; `simd.dot_i16x8` becomes the `llvm.wasm.dot` intrinsic and
`simd.narrow` `llvm.wasm.narrow.{signed,unsigned}`, `simd.extend`/`simd.truncate`/
`simd.to_float` sext, zext, trunc, sitofp and uitofp. Arithmetic on vectors goes through
arith → llvm like scalars.
"""

from __future__ import annotations

from dataclasses import dataclass

from rune.ir.llvm_ext import UIToFPOp, VolatileLoadOp
from rune.ir.simd import DotI16x8Op, ExtendOp, NarrowOp, OpaqueLoadOp, ToFloatOp, TruncateOp
from rune.passes.conversions.memref_to_llvm import MemRefAccessToLLVM
from xdsl.dialects import llvm, vector
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    IntegerType,
    MemRefType,
    VectorType,
    i32,
)
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern


@dataclass
class VectorAccessToLLVM(MemRefAccessToLLVM):
    """vector.load/store, simd.opaque_load → GEP + vector load/store; needs the memref type,
    so runs first."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        match op:
            case vector.LoadOp():
                gep = self._element(op.base, list(op.indices))
                rewriter.replace(op, [*gep, llvm.LoadOp(gep[-1], op.result.type,
                                                        alignment=_element_bytes(op.base))])
            case OpaqueLoadOp():
                gep = self._element(op.base, list(op.indices))
                rewriter.replace(op, [*gep, VolatileLoadOp(gep[-1], op.result.type,
                                                           _element_bytes(op.base))])
            case vector.StoreOp():
                gep = self._element(op.base, list(op.indices))
                # An untyped pointer: llvmlite checks a store's value against a typed one.
                pointer = llvm.BitcastOp(gep[-1], llvm.LLVMPointerType())
                rewriter.replace(op, [*gep, pointer, llvm.StoreOp(
                    op.vector, pointer, alignment=_element_bytes(op.base))])
            case _:
                pass


@dataclass
class VectorToLLVM(RewritePattern):
    """vector.shuffle and simd.dot_i16x8 on values already in registers."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        match op:
            case vector.ShuffleOp():
                mask = DenseArrayBase.from_list(i32, list(op.mask.get_values()))
                rewriter.replace(op, llvm.ShuffleVectorOp(op.v1, op.v2, mask,
                                                          op.result.type))
            case vector.BitcastOp():
                rewriter.replace(op, llvm.BitcastOp(op.source, op.result.type))
            case DotI16x8Op():
                rewriter.replace(op, llvm.CallIntrinsicOp("llvm.wasm.dot", [op.lhs, op.rhs],
                                                          [op.result.type]))
            case ExtendOp():
                cast = llvm.ZExtOp if op.unsigned is not None else llvm.SExtOp
                rewriter.replace(op, cast(op.arg, op.result.type))
            case TruncateOp():
                rewriter.replace(op, llvm.TruncOp(op.arg, op.result.type))
            case ToFloatOp():
                cast = UIToFPOp if op.unsigned is not None else llvm.SIToFPOp
                rewriter.replace(op, cast(op.arg, op.result.type))
            case NarrowOp():
                sign = "unsigned" if op.unsigned is not None else "signed"
                name = f"llvm.wasm.narrow.{sign}.{_suffix(op.result.type)}.{_suffix(op.lhs.type)}"
                rewriter.replace(op, llvm.CallIntrinsicOp(name, [op.lhs, op.rhs],
                                                          [op.result.type]))
            case _:
                pass


def _element_bytes(buffer) -> int:
    typ = buffer.type
    assert isinstance(typ, MemRefType) and isinstance(typ.element_type, IntegerType | AnyFloat)
    return typ.element_type.bitwidth // 8


def _suffix(typ: VectorType) -> str:
    """An intrinsic's type suffix: v8i16."""
    return f"v{typ.get_shape()[0]}i{typ.element_type.width.data}"
