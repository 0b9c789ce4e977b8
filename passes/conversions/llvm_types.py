"""How standard types map onto the llvm dialect for a given target."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import llvm
from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType
from xdsl.ir import Attribute


@dataclass(frozen=True)
class LLVMTypeConverter:
    """index becomes the target's pointer-sized integer; a statically shaped memref becomes a
    bare pointer (no descriptor: every shape is known at compile time)."""

    index_bits: int = 32

    @property
    def index_type(self) -> IntegerType:
        return IntegerType(self.index_bits)

    def convert(self, typ: Attribute) -> Attribute:
        if isinstance(typ, IndexType):
            return self.index_type
        if isinstance(typ, MemRefType):
            return llvm.LLVMPointerType()
        return typ
