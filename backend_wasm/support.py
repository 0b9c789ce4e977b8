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
