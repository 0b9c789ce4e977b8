"""Translate an llvm-dialect module into llvmlite IR.

xDSL's `convert_op` translates each instruction; this module adds what the rune backend needs
around it: linkage, zero-initialised and aligned globals, wasm import attributes, the target's
data layout, and the `llvmx` ops xDSL's llvm dialect lacks.
"""

from __future__ import annotations

import llvmlite.ir as ir
from rune.abi.imports import IMPORT_MODULE_ATTR, IMPORT_NAME_ATTR
from rune.ir.llvm_ext import UIToFPOp, VolatileLoadOp
from rune.passes.conversions.func_to_llvm import NOINLINE_ATTR
from xdsl.backend.llvm.convert_op import convert_op, create_constant
from xdsl.backend.llvm.convert_type import convert_type
from xdsl.dialects import llvm
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Operation, SSAValue


class TranslationError(Exception):
    """The module holds something this backend cannot translate."""


def translate_module(module: ModuleOp, triple: str, data_layout: str,
                     function_attributes: tuple[str, ...] = ()) -> ir.Module:
    out = ir.Module()
    out.triple = triple
    out.data_layout = data_layout
    functions: list[llvm.FuncOp] = []
    for op in module.ops:
        if isinstance(op, llvm.GlobalOp):
            _global(op, out)
        elif isinstance(op, llvm.FuncOp):
            functions.append(op)
        else:
            raise TranslationError(f"cannot translate top-level op {op.name}; "
                                   "run the lowering pipeline first")
    for op in functions:
        _declare(op, out, function_attributes)
    for op in functions:
        if op.body.blocks:
            _define(op, out)
    return out


def _global(op: llvm.GlobalOp, out: ir.Module) -> None:
    typ = convert_type(op.global_type)
    if isinstance(op.value, DenseIntOrFPElementsAttr):
        # Tables go in as raw little-endian bytes: one constant instead of one per element.
        raw = bytearray(op.value.data.data)
        typ = ir.ArrayType(ir.IntType(8), len(raw))
        initializer = ir.Constant(typ, raw)
    elif op.value is None and op.constant is not None and op.linkage.linkage.data == "external":
        initializer = None  # a declaration: a data table defined apart (ir/data_args.py)
    elif op.value is None:
        initializer = ir.Constant(typ, None)
    else:
        initializer = create_constant(op.global_type, op.value)
    var = ir.GlobalVariable(out, typ, name=op.sym_name.data)
    var.linkage = op.linkage.linkage.data
    var.global_constant = op.constant is not None
    var.initializer = initializer
    if op.alignment is not None:
        var.align = op.alignment.value.data


def _declare(op: llvm.FuncOp, out: ir.Module, function_attributes: tuple[str, ...]) -> None:
    fn_type = op.function_type
    fn = ir.Function(
        out,
        ir.FunctionType(convert_type(fn_type.output), [convert_type(t) for t in fn_type.inputs]),
        name=op.sym_name.data,
    )
    if not op.body.blocks:
        module = op.attributes.get(IMPORT_MODULE_ATTR)
        name = op.attributes.get(IMPORT_NAME_ATTR)
        if isinstance(module, StringAttr) and isinstance(name, StringAttr):
            # String attributes are outside llvmlite's known set; the IR text carries them.
            set.add(fn.attributes, f'"wasm-import-module"="{module.data}"')
            set.add(fn.attributes, f'"wasm-import-name"="{name.data}"')
        return
    fn.linkage = op.linkage.linkage.data
    for attribute in function_attributes:
        fn.attributes.add(attribute)
    if NOINLINE_ATTR in op.attributes:
        fn.attributes.add("noinline")


def _define(op: llvm.FuncOp, out: ir.Module) -> None:
    fn = out.get_global(op.sym_name.data)
    blocks: dict[Block, ir.Block] = {b: fn.append_basic_block() for b in op.body.blocks}
    values: dict[SSAValue, ir.Value] = {}
    for arg, value in zip(op.body.blocks.first.args, fn.args, strict=True):
        values[arg] = value
    for block in list(op.body.blocks)[1:]:
        builder = ir.IRBuilder(blocks[block])
        for arg in block.args:
            values[arg] = builder.phi(convert_type(arg.type))
    for block in op.body.blocks:
        builder = ir.IRBuilder(blocks[block])
        if blocks[block].instructions:
            builder.position_after(blocks[block].instructions[-1])
        for inner in block.ops:
            _instruction(inner, builder, values, blocks)


def _instruction(op: Operation, builder: ir.IRBuilder, values: dict, blocks: dict) -> None:
    if isinstance(op, UIToFPOp):
        values[op.result] = builder.uitofp(values[op.arg], convert_type(op.result.type))
        return
    if isinstance(op, VolatileLoadOp):
        load = _VolatileLoad(builder.block, values[op.ptr], typ=convert_type(op.result.type))
        load.align = op.alignment.value.data
        builder._insert(load)
        values[op.result] = load
        return
    try:
        convert_op(op, builder, values, blocks)
    except NotImplementedError as exc:
        raise TranslationError(str(exc)) from None


class _VolatileLoad(ir.LoadInstr):
    """`load volatile` (llvmlite's LoadInstr has no volatile flag)."""

    def descr(self, buf: list[str]) -> None:
        super().descr(buf)
        buf[-1] = buf[-1].replace("load ", "load volatile ", 1)
