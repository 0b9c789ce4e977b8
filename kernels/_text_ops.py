"""IR helpers the text kernels need and KernelBuilder lacks (candidates for the builder).

Strings are bytes: a kernel loops over them with `fold`, carrying small state machines (UTF-8
validation, word splitting) as i32/i1 scalars. No ProcBlock lives here.
"""

from __future__ import annotations

from collections.abc import Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import IntegerAttr, IntegerType
from xdsl.ir import SSAValue


def both(b: KernelBuilder, *conditions: SSAValue) -> SSAValue:
    result = conditions[0]
    for other in conditions[1:]:
        result = b.emit(arith.AndIOp(result, other)).results[0]
    return result


def either(b: KernelBuilder, *conditions: SSAValue) -> SSAValue:
    result = conditions[0]
    for other in conditions[1:]:
        result = b.emit(arith.OrIOp(result, other)).results[0]
    return result


def choose(b: KernelBuilder, condition: SSAValue, a: SSAValue, c: SSAValue) -> SSAValue:
    """condition ? a : c for i1 values."""
    return b.emit(arith.SelectOp(condition, a, c)).results[0]


def truth(b: KernelBuilder, value: bool) -> Scalar:
    """An i1 constant, as a Scalar so loops can carry it."""
    op = arith.ConstantOp(IntegerAttr(-1 if value else 0, IntegerType(1)))
    return Scalar(b.emit(op).results[0], "i1")


def cond(value: SSAValue) -> Scalar:
    """An i1 condition as a Scalar (to carry it through a fold)."""
    return Scalar(value, "i1")


def i32(b: KernelBuilder, value: int) -> Scalar:
    return b.constant(value, "i32")


def one_if(b: KernelBuilder, condition: SSAValue) -> Scalar:
    """1 where condition holds, else 0 (i32): for counting."""
    return b.select(condition, i32(b, 1), i32(b, 0))


def between(b: KernelBuilder, value: Scalar, low: int, high: int) -> SSAValue:
    """low <= value <= high, by value's own signedness."""
    return both(b, b.compare("ge", value, b.constant(low, value.element)),
                b.compare("le", value, b.constant(high, value.element)))


def equals(b: KernelBuilder, value: Scalar, constant: int) -> SSAValue:
    return b.compare("eq", value, b.constant(constant, value.element))


def bit_xor(b: KernelBuilder, x: Scalar, y: Scalar) -> Scalar:
    return Scalar(b.emit(arith.XOrIOp(x.value, y.value)).results[0], x.element)


def at(b: KernelBuilder, buffer: Buffer, index: Scalar) -> Scalar:
    """buffer[index] for an index computed at run time."""
    return b.load(buffer, b.to_index(index))


def put(b: KernelBuilder, value: Scalar, buffer: Buffer, index: Scalar) -> None:
    b.store(value, buffer, b.to_index(index))


def byte_at(b: KernelBuilder, buffer: Buffer, index: Scalar) -> Scalar:
    """A u8 buffer's element as an i32 (0..255)."""
    return b.convert(at(b, buffer, index), "i32")


def byte_or_zero(b: KernelBuilder, buffer: Buffer, index: Scalar, end: Scalar) -> Scalar:
    """buffer[index] as i32 when index < end, else 0, never reading past end - 1."""
    inside = b.compare("lt", index, end)
    safe = b.select(inside, index, b.maximum(b.sub(end, i32(b, 1)), i32(b, 0)))
    return b.select(inside, byte_at(b, buffer, safe), i32(b, 0))


def memory_byte(b: KernelBuilder, address: Scalar) -> Scalar:
    """The byte at a linear-memory address (a string's bytes live anywhere), as an i32."""
    pointer = b.emit(llvm.IntToPtrOp(address.value)).results[0]
    loaded = b.emit(llvm.LoadOp(pointer, IntegerType(8))).results[0]
    return b.convert(Scalar(loaded, "u8"), "i32")


def string_parts(b: KernelBuilder, element: Scalar) -> tuple[Scalar, Scalar]:
    """A utf8 element's (pointer, length) as i32s: the low and high words."""
    packed = Scalar(element.value, "u64")
    pointer = b.convert(packed, "u32")
    length = b.convert(b.shift_right(packed, b.constant(32, "u64")), "u32")
    return Scalar(pointer.value, "i32"), Scalar(length.value, "i32")


def address_of(b: KernelBuilder, buffer: Buffer) -> Scalar:
    return Scalar(b.address(buffer).value, "i32")


def utf8_string(b: KernelBuilder, pointer: Scalar, length: Scalar) -> Scalar:
    return b.utf8(Scalar(pointer.value, "u32"), Scalar(length.value, "u32"))


def copy_bytes(b: KernelBuilder, source: Buffer, destination: Buffer, count: int) -> None:
    with b.loop(count) as i:
        b.store(b.load(source, i), destination, i)


# --- UTF-8 validation --------------------------------------------------------------------------
# Well-formed sequences (Unicode table 3-7): the lead byte decides how many continuation bytes
# follow and the range of the first one (E0 A0.., ED ..9F, F0 90.., F4 ..8F); the rest are 80..BF.

def utf8_start(b: KernelBuilder) -> list[Scalar]:
    """State before the first byte: (needed, low, high, valid_end, stopped)."""
    return [i32(b, 0), i32(b, 0x80), i32(b, 0xBF), i32(b, 0), truth(b, False)]


def utf8_step(b: KernelBuilder, state: Sequence[Scalar], byte: Scalar, position: Scalar,
              stop: SSAValue | None = None) -> list[Scalar]:
    """Feed the byte at `position`; valid_end becomes the end of the last complete character
    before the first ill-formed byte (or before `stop`, when given and true)."""
    needed, low, high, valid_end, stopped = state
    if stop is not None:
        stopped = cond(either(b, stopped.value, stop))
    continuing = b.compare("gt", needed, i32(b, 0))
    ascii_ = b.compare("lt", byte, i32(b, 0x80))
    two = between(b, byte, 0xC2, 0xDF)
    three = between(b, byte, 0xE0, 0xEF)
    four = between(b, byte, 0xF0, 0xF4)
    lead_ok = either(b, ascii_, two, three, four)
    lead_needed = b.select(two, i32(b, 1), b.select(three, i32(b, 2),
                                                   b.select(four, i32(b, 3), i32(b, 0))))
    lead_low = b.select(equals(b, byte, 0xE0), i32(b, 0xA0),
                        b.select(equals(b, byte, 0xF0), i32(b, 0x90), i32(b, 0x80)))
    lead_high = b.select(equals(b, byte, 0xED), i32(b, 0x9F),
                         b.select(equals(b, byte, 0xF4), i32(b, 0x8F), i32(b, 0xBF)))
    in_range = both(b, b.compare("ge", byte, low), b.compare("le", byte, high))
    ok = choose(b, continuing, in_range, lead_ok)
    next_needed = b.select(continuing, b.sub(needed, i32(b, 1)), lead_needed)
    next_low = b.select(continuing, i32(b, 0x80), lead_low)
    next_high = b.select(continuing, i32(b, 0xBF), lead_high)
    active = b.negate_bool(stopped.value)
    completes = both(b, active, ok, b.compare("eq", next_needed, i32(b, 0)))
    valid_end = b.select(completes, b.add(position, i32(b, 1)), valid_end)
    stopped = cond(either(b, stopped.value, b.negate_bool(ok)))
    return [next_needed, next_low, next_high, valid_end, stopped]


def valid_utf8_prefix(b: KernelBuilder, buffer: Buffer, length: Scalar | int,
                      stop_at_nul: bool = False, offset: Scalar | None = None) -> Scalar:
    """The length of the longest well-formed UTF-8 prefix of buffer[offset:offset+length]
    (i32), cut at the first NUL byte too when stop_at_nul."""
    upper = length if isinstance(length, int) else b.to_index(length)

    def step(i: SSAValue, state: list[Scalar]) -> list[Scalar]:
        position = b.from_index(i)
        byte = byte_at(b, buffer, position if offset is None else b.add(offset, position))
        stop = equals(b, byte, 0) if stop_at_nul else None
        return utf8_step(b, state, byte, position, stop)

    return b.fold(upper, utf8_start(b), step)[3]
