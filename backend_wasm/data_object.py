"""The tables of kernels' data arguments (ir/data_args.py), defined apart from the code.

A kernel with a data argument declares its tables (`KernelBuilder.data_table`); this module
defines them, from the argument's value, as constant globals of a small LLVM module: linked
into the pipeline's module before LLVM optimises it (objects for firmware, LLVM IR, assembly),
or, for a wasm rune, emitted as an object of its own that wasm-ld links beside the pipeline's.
Then the pipeline's object depends on the code alone, and the code cache
(tools/code_cache.py) reuses it for every Runefile that differs only in data. Imports no xDSL:
a code-cache hit builds this object without loading the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass

import llvmlite.binding as llvm
import llvmlite.ir as ir
from rune.backend_wasm.target import Target, target_machine
from rune.ir.data_args import DATA_ARGS

ALIGN = 16  # as KernelBuilder's tables


@dataclass(frozen=True)
class DataArgument:
    """One kernel's data argument: the kernel's symbol, its stage, the library kernel (a key
    of DATA_ARGS) and the argument's value."""

    symbol: str
    stage: str
    kernel: str
    value: str

    def tables(self) -> list[tuple[str, bytes]]:
        """(symbol, bytes) of each table, under the name the kernel declares it by."""
        return [(f"{self.symbol}.data.{hint}", raw)
                for hint, raw in DATA_ARGS[self.kernel].tables(self.value)]


def data_module(arguments: list[DataArgument], target: Target) -> llvm.ModuleRef:
    """The tables as constant globals of an LLVM module for `target`."""
    module = ir.Module()
    module.triple = target.triple
    module.data_layout = str(target_machine(target).target_data)
    for argument in arguments:
        for name, raw in argument.tables():
            typ = ir.ArrayType(ir.IntType(8), len(raw))
            variable = ir.GlobalVariable(module, typ, name=name)
            variable.initializer = ir.Constant(typ, bytearray(raw))
            variable.global_constant = True
            variable.align = ALIGN
    return llvm.parse_assembly(str(module))


def data_object(arguments: list[DataArgument], target: Target) -> bytes:
    """The tables as an object file for `target`."""
    return target_machine(target).emit_object(data_module(arguments, target))


def link_data(module: llvm.ModuleRef, arguments: list[DataArgument], target: Target) -> None:
    """Define the tables in `module` itself, internal as tables built in the module are (so
    LLVM may read them at compile time, and an object for firmware exports no extra symbols)."""
    module.link_in(data_module(arguments, target))
    for argument in arguments:
        for name, _ in argument.tables():
            module.get_global_variable(name).linkage = llvm.Linkage.internal
