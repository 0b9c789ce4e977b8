"""memref → llvm: static buffers become globals and bare pointers, element access a GEP.

GEPs (rather than ptrtoint arithmetic) keep LLVM's alias analysis and loop vectorizer working.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from rune.passes.conversions.llvm_types import LLVMTypeConverter
from xdsl.dialects import llvm, memref
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    UnitAttr,
)
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern


@dataclass
class MemRefAccessToLLVM(RewritePattern):
    """memref.load/store → GEP + load/store; needs the buffer's memref type, so runs first."""

    types: LLVMTypeConverter

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        match op:
            case memref.LoadOp():
                gep = self._element(op.memref, list(op.indices))
                rewriter.replace(op, [*gep, llvm.LoadOp(gep[-1], op.res.type)])
            case memref.StoreOp():
                gep = self._element(op.memref, list(op.indices))
                rewriter.replace(op, [*gep, llvm.StoreOp(op.value, gep[-1])])
            case _:
                pass

    def _element(self, buffer: SSAValue, indices: list[SSAValue]) -> list[Operation]:
        """Ops computing the address of buffer[indices] (row-major, static strides)."""
        typ = buffer.type
        assert isinstance(typ, MemRefType)
        shape = typ.get_shape()
        index_type = self.types.index_type
        ops: list[Operation] = []
        linear: SSAValue | None = None
        for axis, index in enumerate(indices):
            term = index
            stride = prod(shape[axis + 1 :])
            if stride != 1:
                const = llvm.ConstantOp(IntegerAttr(stride, index_type), index_type)
                mul = llvm.MulOp(index, const.result)
                ops += [const, mul]
                term = mul.res
            if linear is not None:
                add = llvm.AddOp(linear, term)
                ops.append(add)
                term = add.res
            linear = term
        assert linear is not None, "rank-0 memrefs are not used by rune kernels"
        ops.append(llvm.GEPOp.from_mixed_indices(buffer, [linear], typ.element_type,
                                                 inbounds=True))
        return ops


@dataclass
class MemRefToLLVM(RewritePattern):
    """Globals, references to them, and pointer extraction."""

    types: LLVMTypeConverter

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        match op:
            case memref.GetGlobalOp():
                rewriter.replace(
                    op, llvm.AddressOfOp(op.name_.root_reference, llvm.LLVMPointerType())
                )
            case memref.ViewOp():
                # A typed window onto an i8 buffer: the same pointer, moved by byte_shift.
                rewriter.replace(
                    op, llvm.GEPOp.from_mixed_indices(op.source, [op.byte_shift],
                                                      IntegerType(8), inbounds=True)
                )
            case memref.ExtractAlignedPointerAsIndexOp():
                rewriter.replace(op, llvm.PtrToIntOp(op.source, self.types.index_type))
            case memref.GlobalOp():
                rewriter.replace(op, _global(op))
            case _:
                pass


def _global(op: memref.GlobalOp) -> llvm.GlobalOp:
    typ = op.type
    assert isinstance(typ, MemRefType)
    array = llvm.LLVMArrayType(prod(typ.get_shape()), typ.element_type)
    value = op.initial_value if isinstance(op.initial_value, DenseIntOrFPElementsAttr) else None
    private = op.sym_visibility is not None and op.sym_visibility.data == "private"
    return llvm.GlobalOp(
        array,
        op.sym_name,
        "internal" if private else "external",
        constant=True if op.constant == UnitAttr() else None,
        value=value,
        alignment=op.alignment.value.data if op.alignment is not None else None,
    )
