"""A small WebAssembly binary reader for checking the MCU profile, independent of any engine.

It decodes every section of a module and every instruction of every function body, so the
checks below see real opcodes rather than byte patterns, and it reads the `linking` section of a
relocatable object (wasm-ld's input) to learn the size of each data segment, including the
zero-initialised ones a linked module leaves out of its data section.

`mvp_violations(module)` lists everything outside WebAssembly 1.0 (the "MVP"): SIMD (0xFD
prefix, v128), bulk memory (0xFC 8-17, passive data, a data count section), reference types
(ref.*, table.get/set, typed select, funcref/externref values, several tables), multi-value
(more than one result, type-indexed blocks), sign extension (0xC0-0xC4), non-trapping
float-to-int (0xFC 0-7), threads (0xFE, shared memory), tail calls, 64-bit memory and a
`target_features` section naming anything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
            0x70: "funcref", 0x6F: "externref"}
MVP_VALTYPES = {"i32", "i64", "f32", "f64"}
SECTION_NAMES = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
                 6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
                 12: "datacount", 13: "tag"}
PAGE = 65536


class WasmFormatError(ValueError):
    """The bytes are not a module this reader understands."""


class Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def done(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError(f"unexpected end at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def bytes(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise WasmFormatError(f"{n} bytes at {self.pos} run past the end")
        value = self.data[self.pos:self.pos + n]
        self.pos += n
        return value

    def u32(self) -> int:
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result
            if shift > 35:
                raise WasmFormatError(f"LEB128 too long at byte {self.pos}")

    def sleb(self, bits: int) -> int:
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40 and shift < bits + 7:
                    result -= 1 << shift
                return result
            if shift > bits + 7:
                raise WasmFormatError(f"signed LEB128 too long at byte {self.pos}")

    def name(self) -> str:
        return self.bytes(self.u32()).decode("utf-8")

    def valtype(self) -> str:
        code = self.byte()
        if code not in VALTYPES:
            raise WasmFormatError(f"unknown value type 0x{code:02x} at byte {self.pos - 1}")
        return VALTYPES[code]

    def limits(self) -> tuple[int, int, int | None]:
        flags = self.byte()
        minimum = self.u32()
        maximum = self.u32() if flags & 1 else None
        return flags, minimum, maximum

    def const_expr(self) -> list[tuple[str, int | float | None]]:
        """A constant expression up to its `end`: [(opcode name, immediate)]."""
        out: list[tuple[str, int | float | None]] = []
        while True:
            op = self.byte()
            if op == 0x0B:
                return out
            if op == 0x41:
                out.append(("i32.const", self.sleb(32)))
            elif op == 0x42:
                out.append(("i64.const", self.sleb(64)))
            elif op == 0x43:
                out.append(("f32.const", struct.unpack("<f", self.bytes(4))[0]))
            elif op == 0x44:
                out.append(("f64.const", struct.unpack("<d", self.bytes(8))[0]))
            elif op == 0x23:
                out.append(("global.get", self.u32()))
            elif op == 0xD2:
                out.append(("ref.func", self.u32()))
            elif op == 0xD0:
                out.append(("ref.null", self.byte()))
            elif op == 0xFD:
                out.append((f"simd.{self.u32()}", None))
                self.bytes(16)
            else:
                raise WasmFormatError(f"opcode 0x{op:02x} in a constant expression")


@dataclass
class Import:
    module: str
    name: str
    kind: str  # func, table, memory, global
    type_index: int | None = None


@dataclass
class DataSegment:
    flags: int
    offset: int | None  # None for passive segments
    data: bytes


@dataclass
class Module:
    size: int
    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    functions: list[int] = field(default_factory=list)  # type index per defined function
    tables: list[tuple[str, tuple[int, int, int | None]]] = field(default_factory=list)
    memories: list[tuple[int, int, int | None]] = field(default_factory=list)
    globals: list[tuple[str, bool, list]] = field(default_factory=list)
    exports: dict[str, tuple[str, int]] = field(default_factory=dict)
    element_flags: list[int] = field(default_factory=list)
    data: list[DataSegment] = field(default_factory=list)
    has_datacount: bool = False
    custom: dict[str, bytes] = field(default_factory=dict)
    section_ids: list[int] = field(default_factory=list)
    #: per defined function: its local types, and every opcode it executes (prefix, sub-op)
    locals: list[list[str]] = field(default_factory=list)
    opcodes: list[list[tuple[int, int | None]]] = field(default_factory=list)
    block_types: list[str] = field(default_factory=list)  # "empty", a value type, or "type N"
    code_size: int = 0

    @property
    def min_pages(self) -> int:
        return self.memories[0][1] if self.memories else 0

    @property
    def data_end(self) -> int:
        """One past the last byte any active data segment initialises."""
        return max((s.offset + len(s.data) for s in self.data if s.offset is not None),
                   default=0)

    def global_init(self, index: int) -> int | float | None:
        expr = self.globals[index][2]
        return expr[0][1] if len(expr) == 1 else None

    def target_features(self) -> list[str]:
        """Entries of the `target_features` custom section, e.g. ['+simd128']."""
        raw = self.custom.get("target_features")
        if raw is None:
            return []
        r = Reader(raw)
        return [chr(r.byte()) + r.name() for _ in range(r.u32())]


_ABSENT = object()
# Opcode -> immediate kind. MVP opcodes only; the rest are decoded so they can be reported.
_MEMARG = "memarg"
_IMMEDIATES: dict[int, str | None] = {
    0x00: None, 0x01: None, 0x02: "block", 0x03: "block", 0x04: "block", 0x05: None,
    0x0B: None, 0x0C: "u32", 0x0D: "u32", 0x0E: "br_table", 0x0F: None, 0x10: "u32",
    0x11: "call_indirect", 0x12: "u32", 0x13: "call_indirect", 0x1A: None, 0x1B: None,
    0x1C: "valtypes", 0x20: "u32", 0x21: "u32", 0x22: "u32", 0x23: "u32", 0x24: "u32",
    0x25: "u32", 0x26: "u32", 0x3F: "byte", 0x40: "byte", 0x41: "i32", 0x42: "i64",
    0x43: "f32", 0x44: "f64", 0xD0: "byte", 0xD1: None, 0xD2: "u32",
}
for _op in range(0x28, 0x3F):
    _IMMEDIATES[_op] = _MEMARG
for _op in range(0x45, 0xC5):
    _IMMEDIATES[_op] = None
# 0xFC sub-opcodes: 0-7 saturating truncation, 8-17 bulk memory and table ops.
_FC_IMMEDIATES = {0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 2, 9: 1, 10: 2, 11: 1,
                  12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1}
# 0xFD (SIMD) sub-opcodes with a memarg, a lane index, or both; 12 is v128.const, 13 a shuffle.
_SIMD_MEMARG = set(range(0, 12)) | {92, 93}
_SIMD_MEMARG_LANE = set(range(84, 92))
_SIMD_LANE = set(range(21, 35))


def _instructions(r: Reader, module: Module) -> list[tuple[int, int | None]]:
    ops: list[tuple[int, int | None]] = []
    while not r.done():
        op = r.byte()
        if op == 0xFC:
            sub = r.u32()
            if sub not in _FC_IMMEDIATES:
                raise WasmFormatError(f"unknown 0xFC opcode {sub}")
            for _ in range(_FC_IMMEDIATES[sub]):
                r.u32()
            ops.append((op, sub))
            continue
        if op == 0xFD:
            sub = r.u32()
            if sub in _SIMD_MEMARG or sub in _SIMD_MEMARG_LANE:
                r.u32()
                r.u32()
            if sub in _SIMD_MEMARG_LANE or sub in _SIMD_LANE:
                r.byte()
            if sub in (12, 13):
                r.bytes(16)
            ops.append((op, sub))
            continue
        if op == 0xFE:
            sub = r.u32()
            if sub != 3:  # every atomic except atomic.fence has a memarg
                r.u32()
                r.u32()
            else:
                r.byte()
            ops.append((op, sub))
            continue
        kind = _IMMEDIATES.get(op, _ABSENT)
        if kind is _ABSENT:
            raise WasmFormatError(f"unknown opcode 0x{op:02x} at byte {r.pos - 1}")
        if kind in ("u32", "byte"):
            r.u32() if kind == "u32" else r.byte()
        elif kind == "block":
            code = r.data[r.pos]
            if code == 0x40:
                r.byte()
                module.block_types.append("empty")
            elif code in VALTYPES:
                module.block_types.append(r.valtype())
            else:
                module.block_types.append(f"type {r.sleb(33)}")
        elif kind == "br_table":
            for _ in range(r.u32() + 1):
                r.u32()
        elif kind == "call_indirect":
            r.u32()
            ops.append((op, r.u32()))  # the table index: non-zero needs reference types
            continue
        elif kind == "valtypes":
            for _ in range(r.u32()):
                r.valtype()
        elif kind == _MEMARG:
            r.u32()
            r.u32()
        elif kind == "i32":
            r.sleb(32)
        elif kind == "i64":
            r.sleb(64)
        elif kind == "f32":
            r.bytes(4)
        elif kind == "f64":
            r.bytes(8)
        ops.append((op, None))
    return ops


def parse_module(data: bytes) -> Module:
    if data[:4] != b"\0asm" or data[4:8] != b"\x01\0\0\0":
        raise WasmFormatError("not a WebAssembly 1 binary")
    module = Module(size=len(data))
    r = Reader(data, 8)
    while not r.done():
        sid = r.byte()
        size = r.u32()
        s = Reader(data, r.pos, r.pos + size)
        r.pos += size
        module.section_ids.append(sid)
        if sid == 0:
            name = s.name()
            module.custom[name] = data[s.pos:s.end]
        elif sid == 1:
            for _ in range(s.u32()):
                if s.byte() != 0x60:
                    raise WasmFormatError("a type that is not a function type")
                params = tuple(s.valtype() for _ in range(s.u32()))
                results = tuple(s.valtype() for _ in range(s.u32()))
                module.types.append((params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                mod, name, kind = s.name(), s.name(), s.byte()
                if kind == 0:
                    module.imports.append(Import(mod, name, "func", s.u32()))
                elif kind == 1:
                    s.valtype()
                    s.limits()
                    module.imports.append(Import(mod, name, "table"))
                elif kind == 2:
                    s.limits()
                    module.imports.append(Import(mod, name, "memory"))
                elif kind == 3:
                    s.valtype()
                    s.byte()
                    module.imports.append(Import(mod, name, "global"))
                else:
                    module.imports.append(Import(mod, name, f"kind {kind}"))
                    break
        elif sid == 3:
            module.functions = [s.u32() for _ in range(s.u32())]
        elif sid == 4:
            module.tables = [(s.valtype(), s.limits()) for _ in range(s.u32())]
        elif sid == 5:
            module.memories = [s.limits() for _ in range(s.u32())]
        elif sid == 6:
            for _ in range(s.u32()):
                typ, mutable = s.valtype(), bool(s.byte())
                module.globals.append((typ, mutable, s.const_expr()))
        elif sid == 7:
            kinds = {0: "func", 1: "table", 2: "memory", 3: "global"}
            for _ in range(s.u32()):
                name = s.name()
                kind = kinds.get(s.byte(), "other")
                module.exports[name] = (kind, s.u32())
        elif sid == 9:
            for _ in range(s.u32()):
                flags = s.u32()
                module.element_flags.append(flags)
                if flags != 0:
                    break  # anything but the MVP form is reported; no need to decode it
                s.const_expr()
                for _ in range(s.u32()):
                    s.u32()
        elif sid == 10:
            for _ in range(s.u32()):
                body_size = s.u32()
                body = Reader(data, s.pos, s.pos + body_size)
                s.pos += body_size
                module.code_size += body_size
                local_types: list[str] = []
                for _ in range(body.u32()):
                    count = body.u32()
                    local_types += [body.valtype()] * count
                module.locals.append(local_types)
                module.opcodes.append(_instructions(body, module))
        elif sid == 11:
            for _ in range(s.u32()):
                flags = s.u32()
                if flags == 1:  # passive
                    module.data.append(DataSegment(flags, None, s.bytes(s.u32())))
                    continue
                if flags == 2:
                    s.u32()
                expr = s.const_expr()
                offset = int(expr[0][1]) if expr and expr[0][0] == "i32.const" else None
                module.data.append(DataSegment(flags, offset, s.bytes(s.u32())))
        elif sid == 12:
            module.has_datacount = True
    return module


def _name(op: int, sub: int | None) -> str:
    if op == 0xFC:
        return f"0xFC {sub} ({'saturating truncation' if sub < 8 else 'bulk memory/table'})"
    if op == 0xFD:
        return f"0xFD {sub} (SIMD)"
    if op == 0xFE:
        return f"0xFE {sub} (atomics)"
    return f"0x{op:02X}"


_NON_MVP_OPS = {
    0x12: "return_call (tail calls)", 0x13: "return_call_indirect (tail calls)",
    0x1C: "typed select (reference types)", 0x25: "table.get (reference types)",
    0x26: "table.set (reference types)", 0xD0: "ref.null (reference types)",
    0xD1: "ref.is_null (reference types)", 0xD2: "ref.func (reference types)",
    **{op: "sign extension" for op in range(0xC0, 0xC5)},
}


def mvp_violations(module: Module) -> list[str]:
    """Every use of a post-MVP feature, one line each; empty for an MVP-only module."""
    found: list[str] = []
    for i, (params, results) in enumerate(module.types):
        odd = [t for t in params + results if t not in MVP_VALTYPES]
        if odd:
            found.append(f"type {i} uses {', '.join(sorted(set(odd)))}")
        if len(results) > 1:
            found.append(f"type {i} returns {len(results)} values (multi-value)")
    for i, local_types in enumerate(module.locals):
        odd = sorted(set(local_types) - MVP_VALTYPES)
        if odd:
            found.append(f"function {i} has locals of type {', '.join(odd)}")
    for typ, _, _ in module.globals:
        if typ not in MVP_VALTYPES:
            found.append(f"a global of type {typ}")
    for block in set(module.block_types):
        if block.startswith("type "):
            found.append(f"a block typed by {block} (multi-value)")
        elif block not in MVP_VALTYPES and block != "empty":
            found.append(f"a block of type {block}")
    seen: set[str] = set()
    for ops in module.opcodes:
        for op, sub in ops:
            what = None
            if op in (0xFC, 0xFD, 0xFE):
                what = _name(op, sub)
            elif op in _NON_MVP_OPS:
                what = f"{_name(op, sub)} {_NON_MVP_OPS[op]}"
            elif op == 0x11 and sub:
                what = f"call_indirect through table {sub} (reference types)"
            if what and what not in seen:
                seen.add(what)
                found.append(f"instruction {what}")
    if len(module.tables) > 1:
        found.append(f"{len(module.tables)} tables (reference types)")
    for typ, _ in module.tables:
        if typ != "funcref":
            found.append(f"a table of {typ} (reference types)")
    for flags, _, _ in module.memories:
        if flags & 2:
            found.append("a shared memory (threads)")
        if flags & 4:
            found.append("a 64-bit memory (memory64)")
    if module.has_datacount:
        found.append("a data count section (bulk memory)")
    for segment in module.data:
        if segment.flags != 0:
            found.append(f"a data segment with flags {segment.flags} (bulk memory)")
    for flags in module.element_flags:
        if flags != 0:
            found.append(f"an element segment with flags {flags} (bulk memory/reference types)")
    for feature in module.target_features():
        found.append(f"target_features names {feature}")
    return found


@dataclass(frozen=True)
class ObjectSegment:
    name: str
    size: int
    alignment: int  # bytes


def object_segments(data: bytes) -> list[ObjectSegment]:
    """Data segments of a relocatable wasm object (wasm-ld's input), with the sizes the linker
    will lay out: initialised data and the zero-filled `.bss` ones alike."""
    module = parse_module(data)
    linking = module.custom.get("linking")
    if linking is None:
        raise WasmFormatError("no linking section: not a relocatable object")
    r = Reader(linking)
    if r.u32() != 2:
        raise WasmFormatError("unsupported linking section version")
    infos: list[tuple[str, int]] = []
    while not r.done():
        kind, size = r.byte(), r.u32()
        end = r.pos + size
        if kind == 5:  # WASM_SEGMENT_INFO
            for _ in range(r.u32()):
                name, align_log2 = r.name(), r.u32()
                r.u32()  # flags
                infos.append((name, 1 << align_log2))
        r.pos = end
    if len(infos) != len(module.data):
        raise WasmFormatError(f"{len(infos)} segment infos for {len(module.data)} segments")
    return [ObjectSegment(name, len(seg.data), align)
            for (name, align), seg in zip(infos, module.data, strict=True)]


def static_bytes(segments: list[ObjectSegment], start: int) -> int:
    """Where the static data ends when the segments are laid out from `start`, aligned each,
    as wasm-ld places them (after a --stack-first stack)."""
    end = start
    for segment in segments:
        end = -(-end // segment.alignment) * segment.alignment + segment.size
    return end
