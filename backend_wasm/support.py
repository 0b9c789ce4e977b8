"""memcpy, memmove and memset for targets where they are not instructions.

LLVM turns copy and fill loops into calls to these. With bulk memory they become wasm's
`memory.copy`/`memory.fill`; an MVP module has no such instructions and no libc to link, so the
module carries byte-loop definitions. They are marked `no-builtins` so LLVM does not turn their
own loops back into calls to themselves. Unused ones are dropped by wasm-ld's --gc-sections.
"""

from __future__ import annotations

import llvmlite.ir as ir

_I8, _I32 = ir.IntType(8), ir.IntType(32)
_PTR = ir.PointerType()


def add_support_functions(module: ir.Module) -> None:
    _copy(module, "memcpy", backwards_if_overlapping=False)
    _copy(module, "memmove", backwards_if_overlapping=True)
    _set(module)


def _function(module: ir.Module, name: str, args: list[ir.Type]) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(_PTR, args), name=name)
    set.add(fn.attributes, '"no-builtins"')
    fn.attributes.add("noinline")
    return fn


def _byte_loop(builder: ir.IRBuilder, count: ir.Value, body) -> None:
    """for i in range(count): body(builder, i)."""
    entry = builder.block
    loop = builder.append_basic_block("loop")
    done = builder.append_basic_block("done")
    builder.cbranch(builder.icmp_unsigned("==", count, ir.Constant(_I32, 0)), done, loop)
    builder.position_at_end(loop)
    index = builder.phi(_I32)
    index.add_incoming(ir.Constant(_I32, 0), entry)
    body(builder, index)
    following = builder.add(index, ir.Constant(_I32, 1))
    index.add_incoming(following, loop)
    builder.cbranch(builder.icmp_unsigned("<", following, count), loop, done)
    builder.position_at_end(done)


def _copy(module: ir.Module, name: str, backwards_if_overlapping: bool) -> None:
    fn = _function(module, name, [_PTR, _PTR, _I32])
    dest, source, count = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))

    def forward(b: ir.IRBuilder, i: ir.Value) -> None:
        b.store(b.load(b.gep(source, [i], source_etype=_I8), typ=_I8),
                b.gep(dest, [i], source_etype=_I8))

    def backward(b: ir.IRBuilder, i: ir.Value) -> None:
        j = b.sub(b.sub(count, ir.Constant(_I32, 1)), i)
        b.store(b.load(b.gep(source, [j], source_etype=_I8), typ=_I8),
                b.gep(dest, [j], source_etype=_I8))

    if backwards_if_overlapping:
        # dest after source and overlapping: copy from the end.
        later = builder.icmp_unsigned(">", builder.ptrtoint(dest, _I32),
                                      builder.ptrtoint(source, _I32))
        with builder.if_else(later) as (then, otherwise):
            with then:
                _byte_loop(builder, count, backward)
            with otherwise:
                _byte_loop(builder, count, forward)
    else:
        _byte_loop(builder, count, forward)
    builder.ret(dest)


def _set(module: ir.Module) -> None:
    fn = _function(module, "memset", [_PTR, _I32, _I32])
    dest, value, count = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    byte = builder.trunc(value, _I8)
    _byte_loop(builder, count,
               lambda b, i: b.store(byte, b.gep(dest, [i], source_etype=_I8)))
    builder.ret(dest)


def prepare_for_arm(module: ir.Module) -> None:
    """What the ARM backend needs before optimisation: every function `nounwind` (the rune
    never unwinds; otherwise each one references the EHABI personality
    `__aeabi_unwind_cpp_pr1`, which drags libgcc's unwinder, malloc and signal into the
    firmware), and f64 min/max expanded (see below)."""
    for function in module.functions:
        if function.blocks:
            function.attributes.add("nounwind")
    expand_soft_double_min_max(module)


# llvm.maximum/minimum on f64 abort LLVM 22's ARM backend when doubles are soft-float
# (Cortex-M4F: "LegalizeOp: Unexpected illegal type!"). Native targets call these instead:
# NaN-propagating, and -0 < +0, as the intrinsics define.
_SOFT_DOUBLE_MIN_MAX = {"llvm.maximum.f64": "ogt", "llvm.minimum.f64": "olt"}


def expand_soft_double_min_max(module: ir.Module) -> None:
    """Replace every call to llvm.maximum.f64 / llvm.minimum.f64 with an internal function."""
    f64, i64 = ir.DoubleType(), ir.IntType(64)
    replacements: dict[str, ir.Function] = {}
    for name, wins in _SOFT_DOUBLE_MIN_MAX.items():
        declared = module.globals.get(name)
        if not isinstance(declared, ir.Function):
            continue
        fn = ir.Function(module, ir.FunctionType(f64, [f64, f64]),
                         name=f"__rune_{name.split('.')[1]}_f64")
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        a, b = fn.args
        builder = ir.IRBuilder(fn.append_basic_block("entry"))
        # Equal operands differ at most in the sign of zero: max ANDs the bits, min ORs them.
        ai, bi = builder.bitcast(a, i64), builder.bitcast(b, i64)
        merged = builder.and_(ai, bi) if wins == "ogt" else builder.or_(ai, bi)
        tie = builder.bitcast(merged, f64)
        loses = "olt" if wins == "ogt" else "ogt"
        pick = builder.select(builder.fcmp_ordered(wins, a, b), a,
                              builder.select(builder.fcmp_ordered(loses, a, b), b, tie))
        nan = builder.fadd(a, b)  # NaN if either is NaN
        builder.ret(builder.select(builder.fcmp_unordered("uno", a, b), nan, pick))
        replacements[name] = fn
    if not replacements:
        return
    for function in module.functions:
        for block in function.blocks:
            for instruction in block.instructions:
                callee = getattr(instruction, "callee", None)
                if isinstance(instruction, ir.CallInstr) and callee is not None \
                        and callee.name in replacements:
                    instruction.replace_callee(replacements[callee.name])
