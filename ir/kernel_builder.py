"""Build kernel bodies as loops over memory (func + scf + arith + memref + math).

Every proc block, built-in or user-written, describes its computation through this builder, so all
kernels share one lowering, one set of conversions and one backend. Buffers are flat 1-D memrefs of
signless element types; a `Buffer` remembers the Runefile element type (and so the signedness)
that the arithmetic helpers need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from math import prod

import numpy as np
from rune.ir import kernel_math, simd
from rune.ir.dialect import element_bytes
from xdsl.dialects import arith, func, math, memref, scf, vector
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    TensorType,
    UnitAttr,
    VectorType,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

FLOAT_TYPES = ("f32", "f64")
#: NumPy's name for each element type (names, not types: reading `np.uint8` would import NumPy,
#: which a compile whose kernels are all cached never needs; tools/deferred_imports.py).
NUMPY_TYPES = {
    "u8": "uint8", "i8": "int8", "u16": "uint16", "i16": "int16", "u32": "uint32",
    "i32": "int32", "u64": "uint64", "i64": "int64", "f32": "float32", "f64": "float64",
    "utf8": "uint64",
}
UNSIGNED_TYPES = ("u8", "u16", "u32", "u64")


def scalar_type(element: str) -> Attribute:
    """The signless IR scalar type holding one element; utf8 is a packed (ptr, len) i64."""
    if element == "f32":
        return Float32Type()
    if element == "f64":
        return Float64Type()
    if element == "utf8":
        return IntegerType(64)
    return IntegerType(int(element[1:]))


def buffer_type(element: str, count: int) -> MemRefType:
    return MemRefType(scalar_type(element), [count])


@dataclass(frozen=True)
class FusedStep:
    """An elementwise stage applied to each element as it is loaded (see fuse-elementwise)."""

    apply: Callable[[KernelBuilder, Scalar], Scalar]
    source: str  # element type this step reads
    # Non-decreasing, and never NaN for a non-NaN input (see ElementwiseProcBlock.monotone)?
    monotone: bool = False


@dataclass(frozen=True)
class Buffer:
    """A kernel argument: a flat memref plus its Runefile element type and logical shape.

    With `steps`, the memref holds the input of a fused chain of elementwise stages and
    `element` is what the chain produces: loads compute the chain, stores are not allowed."""

    value: SSAValue
    element: str
    shape: tuple[int, ...]
    steps: tuple[FusedStep, ...] = ()

    @property
    def stored_element(self) -> str:
        return self.steps[0].source if self.steps else self.element

    @property
    def count(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True)
class Scalar:
    """An SSA scalar (or vector of them, lane by lane) with the Runefile element type that
    decides its arithmetic."""

    value: SSAValue
    element: str

    @property
    def is_float(self) -> bool:
        return self.element in FLOAT_TYPES

    @property
    def is_unsigned(self) -> bool:
        return self.element in UNSIGNED_TYPES


class KernelBuilder:
    """Appends ops to a current block; loops move the insertion point into their bodies.

    Module-level data a kernel needs (lookup tables, word lists, state kept across runs) is
    collected in `globals` under names prefixed with the kernel's own symbol, and moved into the
    module by whoever builds the kernel function.
    """

    def __init__(self, block: Block, symbol: str = "kernel", simd: bool = False) -> None:
        self.block = block
        self.symbol = symbol
        self.simd = simd  # the target has wasm SIMD128: kernels may emit `simd` ops
        self.globals: list[memref.GlobalOp] = []

    def emit(self, op: Operation) -> Operation:
        self.block.add_op(op)
        return op

    # --- module-level data -----------------------------------------------------------------
    def _global(self, hint: str, element: str, count: int, initial: Attribute,
                constant: bool) -> Buffer:
        name = f"{self.symbol}.{hint}.{len(self.globals)}"
        typ = buffer_type(element, count)
        self.globals.append(
            memref.GlobalOp.get(
                StringAttr(name), typ, initial,
                sym_visibility=StringAttr("private"),
                constant=UnitAttr() if constant else None,
                alignment=IntegerAttr(16, 64),
            )
        )
        value = self.emit(memref.GetGlobalOp(name, typ)).results[0]
        return Buffer(value, element, (count,))

    def table(self, hint: str, values: np.ndarray, element: str) -> Buffer:
        """A read-only table baked into the rune's data segment (weights, LUTs, strings)."""
        data = np.ascontiguousarray(values, dtype=NUMPY_TYPES[element]).reshape(-1)
        dense = DenseIntOrFPElementsAttr(
            TensorType(scalar_type(element), [data.size]), BytesAttr(data.tobytes())
        )
        return self._global(hint, element, data.size, dense, constant=True)

    def data_table(self, hint: str, element: str, count: int) -> Buffer:
        """A read-only table the kernel declares and the compiler defines apart, from a data
        argument (ir/data_args.py): the kernel's code does not depend on its contents.
        `count` is what the code may index (0 when it only takes the table's address)."""
        name = f"{self.symbol}.data.{hint}"
        typ = buffer_type(element, count)
        self.globals.append(memref.GlobalOp.get(
            StringAttr(name), typ, UnitAttr(), sym_visibility=StringAttr("public"),
            constant=UnitAttr(), alignment=IntegerAttr(16, 64)))
        return Buffer(self.emit(memref.GetGlobalOp(name, typ)).results[0], element, (count,))

    def state(self, hint: str, count: int, element: str) -> Buffer:
        """Zero-initialised memory that keeps its contents from one run to the next."""
        return self._global(hint, element, count, UnitAttr(), constant=False)

    def address(self, buffer: Buffer) -> Scalar:
        """The buffer's address in linear memory, as a u32 (pointers are 32-bit on wasm32)."""
        if buffer.steps:
            raise ValueError("a fused input has no address: its elements exist only on load")
        index = self.emit(memref.ExtractAlignedPointerAsIndexOp.get(buffer.value)).results[0]
        return Scalar(self.emit(arith.IndexCastOp(index, IntegerType(32))).results[0], "u32")

    def utf8(self, pointer: Scalar, length: Scalar) -> Scalar:
        """Pack a (ptr, len) pair into one utf8 element: ptr in the low word, len in the high."""
        low = self.convert(pointer, "u64")
        high = self.shift_left(self.convert(length, "u64"), self.constant(32, "u64"))
        return Scalar(self.emit(arith.OrIOp(low.value, high.value)).results[0], "utf8")

    # --- constants and indices ---------------------------------------------------------------
    def index(self, value: int) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(value, IndexType()))).results[0]

    def to_index(self, value: Scalar) -> SSAValue:
        """An integer scalar as a loop index (for computed addresses)."""
        return self.emit(arith.IndexCastOp(value.value, IndexType())).results[0]

    def from_index(self, index: SSAValue, element: str = "i32") -> Scalar:
        return Scalar(self.emit(arith.IndexCastOp(index, scalar_type(element))).results[0], element)

    def add_index(self, a: SSAValue, b: SSAValue | int) -> SSAValue:
        other = self.index(b) if isinstance(b, int) else b
        return self.emit(arith.AddiOp(a, other)).results[0]

    def mul_index(self, a: SSAValue, b: SSAValue | int) -> SSAValue:
        other = self.index(b) if isinstance(b, int) else b
        return self.emit(arith.MuliOp(a, other)).results[0]

    def constant(self, value: float | int, element: str) -> Scalar:
        typ = scalar_type(element)
        if element in FLOAT_TYPES:
            attr: Attribute = FloatAttr(float(value), typ)
        else:
            width = typ.width.data  # type: ignore[attr-defined]
            wrapped = int(value) & ((1 << width) - 1)
            if wrapped >= 1 << (width - 1):
                wrapped -= 1 << width
            attr = IntegerAttr(wrapped, typ)
        return Scalar(self.emit(arith.ConstantOp(attr)).results[0], element)

    # --- memory ----------------------------------------------------------------------------
    def load(self, buffer: Buffer, index: SSAValue) -> Scalar:
        load = self.emit(memref.LoadOp.get(buffer.value, [index]))
        value = Scalar(load.results[0], buffer.stored_element)
        for step in buffer.steps:
            value = step.apply(self, value)
        return value

    def store(self, value: Scalar, buffer: Buffer, index: SSAValue) -> None:
        if buffer.steps:
            raise ValueError("a fused input is computed on load and cannot be stored to")
        self.emit(memref.StoreOp.get(value.value, buffer.value, [index]))

    # --- explicit vectors (kernels check `simd` first) ----------------------------------------
    def load_vector(self, buffer: Buffer, index: SSAValue, lanes: int,
                    opaque: bool = False) -> Scalar:
        """buffer[index : index + lanes] as one vector (any element offset); `opaque`: a value
        the optimiser may not fold (simd.opaque_load), so a constant table's lanes stay a loaded
        operand. A buffer with fused steps is refused: they are scalar code, applied by `load`
        only."""
        if buffer.steps:
            raise ValueError("a fused input is computed on scalar loads and cannot be loaded "
                             "as a vector")
        typ = VectorType(scalar_type(buffer.stored_element), [lanes])
        load_op = simd.OpaqueLoadOp if opaque else vector.LoadOp
        load = self.emit(load_op(buffer.value, [index], typ))
        return Scalar(load.results[0], buffer.stored_element)

    def reinterpret(self, value: Scalar, element: str, lanes: int) -> Scalar:
        """A vector's bits as `lanes` lanes of `element` (vector.bitcast)."""
        typ = VectorType(scalar_type(element), [lanes])
        return Scalar(self.emit(vector.BitcastOp(value.value, typ)).results[0], element)

    def splat(self, value: int, element: str, lanes: int) -> Scalar:
        """An integer constant in every lane."""
        typ = VectorType(scalar_type(element), [lanes])
        width = typ.element_type.width.data  # type: ignore[attr-defined]
        value = (value + (1 << (width - 1))) % (1 << width) - (1 << (width - 1))  # signless
        attr = DenseIntOrFPElementsAttr.from_list(typ, [value] * lanes)
        return Scalar(self.emit(arith.ConstantOp(attr)).results[0], element)

    def store_vector(self, value: Scalar, buffer: Buffer, index: SSAValue) -> None:
        self.emit(vector.StoreOp(value.value, buffer.value, [index]))

    def shuffle(self, value: Scalar, lanes: Sequence[int], other: Scalar | None = None) -> Scalar:
        """A vector of lanes `lanes` of value (then other's, numbered after value's); repeats
        allowed: a splat."""
        typ = VectorType(value.value.type.element_type, [len(lanes)])  # type: ignore[attr-defined]
        mask = DenseArrayBase.from_list(i64, list(lanes))
        second = value if other is None else other
        op = vector.ShuffleOp(value.value, second.value, mask, result_type=typ)
        return Scalar(self.emit(op).results[0], value.element)

    def dot_i16x8(self, a: Scalar, b: Scalar) -> Scalar:
        """i32x4 lanes a[2i]*b[2i] + a[2i+1]*b[2i+1] of two i16x8 (`i32x4.dot_i16x8_s`)."""
        return Scalar(self.emit(simd.DotI16x8Op(a.value, b.value)).results[0], "i32")

    def narrow(self, a: Scalar, b: Scalar, element: str) -> Scalar:
        """a's then b's lanes in half-width `element` lanes, saturating (`simd.narrow`)."""
        op = simd.NarrowOp(a.value, b.value, unsigned=element in UNSIGNED_TYPES)
        return Scalar(self.emit(op).results[0], element)

    # --- loops -----------------------------------------------------------------------------
    @contextmanager
    def loop(
        self, upper: int | SSAValue, lower: int | SSAValue = 0, step: int = 1
    ) -> Iterator[SSAValue]:
        """`for i in range(lower, upper, step)`; ops built inside the `with` form the body."""
        lb = self.index(lower) if isinstance(lower, int) else lower
        ub = self.index(upper) if isinstance(upper, int) else upper
        body = Block(arg_types=[IndexType()])
        self.emit(scf.ForOp(lb, ub, self.index(step), [], body))
        outer, self.block = self.block, body
        try:
            yield body.args[0]
        finally:
            self.emit(scf.YieldOp())
            self.block = outer

    def fold(
        self,
        upper: int | SSAValue,
        init: Sequence[Scalar],
        body_fn: Callable[[SSAValue, list[Scalar]], Sequence[Scalar]],
        lower: int | SSAValue = 0,
    ) -> list[Scalar]:
        """A loop carrying values (a reduction): body_fn(i, carried) returns the next carried."""
        lb = self.index(lower) if isinstance(lower, int) else lower
        ub = self.index(upper) if isinstance(upper, int) else upper
        body = Block(arg_types=[IndexType(), *(s.value.type for s in init)])
        loop = scf.ForOp(lb, ub, self.index(1), [s.value for s in init], body)
        self.emit(loop)
        outer, self.block = self.block, body
        carried = [Scalar(arg, s.element) for arg, s in zip(body.args[1:], init, strict=True)]
        results = body_fn(body.args[0], carried)
        self.emit(scf.YieldOp(*(r.value for r in results)))
        self.block = outer
        return [Scalar(r, s.element) for r, s in zip(loop.results, init, strict=True)]

    def if_else(
        self,
        condition: SSAValue,
        then_fn: Callable[[], Sequence[Scalar]],
        else_fn: Callable[[], Sequence[Scalar]],
    ) -> list[Scalar]:
        """A value-producing conditional; both branches must yield the same element types."""
        outer = self.block
        then_block, else_block = Block(), Block()
        self.block = then_block
        then_values = then_fn()
        self.emit(scf.YieldOp(*(v.value for v in then_values)))
        self.block = else_block
        else_values = else_fn()
        self.emit(scf.YieldOp(*(v.value for v in else_values)))
        self.block = outer
        op = scf.IfOp(condition, [v.value.type for v in then_values], [then_block], [else_block])
        self.emit(op)
        return [Scalar(r, v.element) for r, v in zip(op.results, then_values, strict=True)]

    # --- arithmetic --------------------------------------------------------------------------
    def add(self, a: Scalar, b: Scalar) -> Scalar:
        op = arith.AddfOp(a.value, b.value) if a.is_float else arith.AddiOp(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def sub(self, a: Scalar, b: Scalar) -> Scalar:
        op = arith.SubfOp(a.value, b.value) if a.is_float else arith.SubiOp(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def mul(self, a: Scalar, b: Scalar) -> Scalar:
        op = arith.MulfOp(a.value, b.value) if a.is_float else arith.MuliOp(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def div(self, a: Scalar, b: Scalar) -> Scalar:
        if a.is_float:
            op: Operation = arith.DivfOp(a.value, b.value)
        elif a.is_unsigned:
            op = arith.DivUIOp(a.value, b.value)
        else:
            op = arith.DivSIOp(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def rem(self, a: Scalar, b: Scalar) -> Scalar:
        """Integer remainder with the sign of the dividend (C and Rust `%`)."""
        op = arith.RemUIOp(a.value, b.value) if a.is_unsigned else arith.RemSIOp(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def compare(self, predicate: str, a: Scalar, b: Scalar) -> SSAValue:
        """predicate is one of eq ne lt le gt ge; floats compare ordered, ints by signedness."""
        if a.is_float:
            op: Operation = arith.CmpfOp(a.value, b.value, "o" + predicate)
        elif predicate in ("eq", "ne"):
            op = arith.CmpiOp(a.value, b.value, predicate)
        else:
            op = arith.CmpiOp(a.value, b.value, ("u" if a.is_unsigned else "s") + predicate)
        return self.emit(op).results[0]

    def select(self, condition: SSAValue, a: Scalar, b: Scalar) -> Scalar:
        return Scalar(self.emit(arith.SelectOp(condition, a.value, b.value)).results[0], a.element)

    def convert(self, value: Scalar, element: str) -> Scalar:
        """Convert between element types: float→int truncates toward zero (saturating),
        int→int wraps or extends by the source's signedness, as Rust's `as` does."""
        src, dst = value.element, element
        target = scalar_type(dst)
        if isinstance(value.value.type, VectorType):  # integer lanes (simd's casts)
            target = VectorType(target, value.value.type.get_shape())
            if dst in FLOAT_TYPES and not value.is_float:
                to_float = simd.ToFloatOp(value.value, target, value.is_unsigned)
                return Scalar(self.emit(to_float).results[0], dst)
            if element_bytes(dst) > element_bytes(src):
                cast: Operation = simd.ExtendOp(value.value, target, value.is_unsigned)
            elif element_bytes(dst) < element_bytes(src):
                cast = simd.TruncateOp(value.value, target)
            else:
                return Scalar(value.value, dst)
            return Scalar(self.emit(cast).results[0], dst)
        if src == dst:
            return value
        if value.is_float and dst in FLOAT_TYPES:
            op: Operation = (
                arith.ExtFOp(value.value, target)
                if element_bytes(dst) > element_bytes(src)
                else arith.TruncFOp(value.value, target)
            )
        elif value.is_float:
            op = (
                arith.FPToUIOp(value.value, target)
                if dst in UNSIGNED_TYPES
                else arith.FPToSIOp(value.value, target)
            )
        elif dst in FLOAT_TYPES:
            op = (
                arith.UIToFPOp(value.value, target)
                if value.is_unsigned
                else arith.SIToFPOp(value.value, target)
            )
        elif element_bytes(dst) > element_bytes(src):
            op = (
                arith.ExtUIOp(value.value, target)
                if value.is_unsigned
                else arith.ExtSIOp(value.value, target)
            )
        elif element_bytes(dst) < element_bytes(src):
            op = arith.TruncIOp(value.value, target)
        else:
            return Scalar(value.value, dst)
        return Scalar(self.emit(op).results[0], dst)

    def minimum(self, a: Scalar, b: Scalar) -> Scalar:
        """min(a, b); for floats NaN-propagating (wasm's f32.min)."""
        if a.is_float:
            op: Operation = arith.MinimumfOp(a.value, b.value)
        else:
            op = (arith.MinUIOp if a.is_unsigned else arith.MinSIOp)(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def maximum(self, a: Scalar, b: Scalar) -> Scalar:
        if a.is_float:
            op: Operation = arith.MaximumfOp(a.value, b.value)
        else:
            op = (arith.MaxUIOp if a.is_unsigned else arith.MaxSIOp)(a.value, b.value)
        return Scalar(self.emit(op).results[0], a.element)

    def shift_left(self, a: Scalar, b: Scalar) -> Scalar:
        return Scalar(self.emit(arith.ShLIOp(a.value, b.value)).results[0], a.element)

    def shift_right(self, a: Scalar, b: Scalar) -> Scalar:
        """Arithmetic for signed elements, logical for unsigned ones."""
        op = arith.ShRUIOp if a.is_unsigned else arith.ShRSIOp
        return Scalar(self.emit(op(a.value, b.value)).results[0], a.element)

    def bit_and(self, a: Scalar, b: Scalar) -> Scalar:
        return Scalar(self.emit(arith.AndIOp(a.value, b.value)).results[0], a.element)

    def bit_or(self, a: Scalar, b: Scalar) -> Scalar:
        return Scalar(self.emit(arith.OrIOp(a.value, b.value)).results[0], a.element)

    def bitcast(self, value: Scalar, element: str) -> Scalar:
        """Reinterpret the bits (f32 <-> i32/u32, f64 <-> i64/u64)."""
        op = arith.BitcastOp(value.value, scalar_type(element))
        return Scalar(self.emit(op).results[0], element)

    def negate(self, value: Scalar) -> Scalar:
        if value.is_float:
            return Scalar(self.emit(arith.NegfOp(value.value)).results[0], value.element)
        return self.sub(self.constant(0, value.element), value)

    def floor(self, value: Scalar) -> Scalar:
        return Scalar(self.emit(math.FloorOp(value.value)).results[0], value.element)

    def ceil(self, value: Scalar) -> Scalar:
        return Scalar(self.emit(math.CeilOp(value.value)).results[0], value.element)

    def abs(self, value: Scalar) -> Scalar:
        if value.is_float:
            return Scalar(self.emit(math.AbsFOp(value.value)).results[0], value.element)
        negative = self.compare("lt", value, self.constant(0, value.element))
        return self.select(negative, self.negate(value), value)

    def round_half_even(self, value: Scalar) -> Scalar:
        return Scalar(self.emit(math.RoundEvenOp(value.value)).results[0], value.element)

    def trunc(self, value: Scalar) -> Scalar:
        """Round a float toward zero, staying a float."""
        return Scalar(self.emit(math.TruncOp(value.value)).results[0], value.element)

    def exp(self, value: Scalar) -> Scalar:
        """e**x written in IR (no libm); see kernel_math."""
        return kernel_math.exp(self, value)

    def log(self, value: Scalar) -> Scalar:
        """Natural logarithm written in IR (no libm); see kernel_math."""
        return kernel_math.log(self, value)

    def sqrt(self, value: Scalar) -> Scalar:
        return Scalar(self.emit(math.SqrtOp(value.value)).results[0], value.element)

    def fmod(self, x: Scalar, m: Scalar) -> Scalar:
        """C's fmod for f32: x - trunc(x/m)*m computed in f64, then corrected by one step of m.
        Exact whenever |x/m| < 2^29 (the product q*m then fits f64's mantissa); see
        docs/proc-blocks.md."""
        assert x.element == "f32"
        xd, md = self.convert(x, "f64"), self.convert(m, "f64")
        q = self.trunc(self.div(xd, md))
        r = self.sub(xd, self.mul(q, md))
        # r may land one step of m outside [0, m) or (-m, 0] when x/m rounded to an integer.
        zero = self.constant(0.0, "f64")
        abs_m = self.select(self.compare("lt", md, zero), self.sub(zero, md), md)
        x_neg = self.compare("lt", xd, zero)
        too_low = self.compare("lt", r, zero)
        too_high = self.compare("gt", r, zero)
        fix_up = self.select(self.bool_and(too_low, self.negate_bool(x_neg)), abs_m, zero)
        fix_down = self.select(self.bool_and(too_high, x_neg), abs_m, zero)
        fixed = self.sub(self.add(r, fix_up), fix_down)
        # fmod's result carries x's sign, zero included: fmod(-360, 360) is -0.
        signed = self.emit(math.CopySignOp(fixed.value, xd.value)).results[0]
        return self.convert(Scalar(signed, "f64"), "f32")

    def bool_and(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """Both conditions (i1 values, as `compare` returns them)."""
        return self.emit(arith.AndIOp(a, b)).results[0]

    def bool_or(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.OrIOp(a, b)).results[0]

    def is_nan(self, value: Scalar) -> SSAValue:
        """True for NaN (an unordered self-comparison); only meaningful for floats."""
        return self.emit(arith.CmpfOp(value.value, value.value, "uno")).results[0]

    def when(self, condition: SSAValue, then_fn: Callable[[], None]) -> None:
        """Run then_fn's ops (typically stores) only if condition holds: an if without results."""

        def then_branch() -> list[Scalar]:
            then_fn()
            return []

        self.if_else(condition, then_branch, lambda: [])

    def negate_bool(self, value: SSAValue) -> SSAValue:
        true = self.emit(arith.ConstantOp(IntegerAttr(1, IntegerType(1)))).results[0]
        return self.emit(arith.XOrIOp(value, true)).results[0]


def _buffers_spec(args: Sequence[tuple[str, tuple[int, ...]]],
                  steps: Sequence[tuple[FusedStep, ...]]) -> list:
    chains = list(steps) + [()] * (len(args) - len(steps))
    return [(element, shape, chain) for (element, shape), chain in zip(args, chains, strict=True)]


def kernel_arg_types(args: Sequence[tuple[str, tuple[int, ...]]],
                     steps: Sequence[tuple[FusedStep, ...]] = ()) -> list[MemRefType]:
    """The memref types of `kernel_function`'s arguments (a fused chain's reads its source)."""
    return [buffer_type(chain[0].source if chain else element, prod(shape))
            for element, shape, chain in _buffers_spec(args, steps)]


def kernel_function(
    name: str,
    args: Sequence[tuple[str, tuple[int, ...]]],
    build: Callable[[KernelBuilder, list[Buffer]], None],
    steps: Sequence[tuple[FusedStep, ...]] = (),
    simd: bool = False,
) -> tuple[func.FuncOp, list[memref.GlobalOp]]:
    """A private `func.func` taking one flat memref per (element, shape) and returning nothing,
    plus the globals (tables, state) its body refers to. `steps[i]`, when given, is the fused
    chain computed on every load from argument i; `simd`: the target has wasm SIMD128."""
    buffers_spec = _buffers_spec(args, steps)
    arg_types = kernel_arg_types(args, steps)
    entry = Block(arg_types=arg_types)
    builder = KernelBuilder(entry, name, simd)
    buffers = [
        Buffer(value, element, shape, chain)
        for value, (element, shape, chain) in zip(entry.args, buffers_spec, strict=True)
    ]
    build(builder, buffers)
    builder.emit(func.ReturnOp())
    return func.FuncOp(name, (arg_types, []), Region(entry), "private"), builder.globals

