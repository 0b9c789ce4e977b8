"""A tiny FlatBuffer writer for hand-made ``.tflite`` test models.

Independent of the reader under test: it lays objects out front to back
(every uoffset points forward, each vtable sits just before its table) and
aligns every table to 8 bytes, every vector/string to 4 (8 for 8-byte
elements). Fields are given by schema slot number.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field


@dataclass
class S:
    """An inline scalar field (``struct`` format, e.g. ``"i"``, ``"b"``, ``"Q"``)."""

    fmt: str
    value: int | float


@dataclass
class Vec:
    """A vector of scalars."""

    fmt: str
    values: list[int] | list[float] | tuple


@dataclass
class Str:
    text: str | bytes


@dataclass
class T:
    """A table: ``{slot: S | Vec | Str | T | TVec}``."""

    fields: dict[int, object] = field(default_factory=dict)


@dataclass
class TVec:
    """A vector of tables."""

    tables: list[T]


def build(root: T, identifier: bytes = b"TFL3") -> bytes:
    buf = bytearray(8)
    buf[4:8] = identifier

    def pad_to(align: int, extra: int = 0) -> None:
        while (len(buf) + extra) % align:
            buf.append(0)

    def link(at: int, target: int) -> None:
        struct.pack_into("<I", buf, at, target - at)

    def write(obj: object) -> int:
        if isinstance(obj, T):
            return write_table(obj)
        if isinstance(obj, Str):
            raw = obj.text.encode() if isinstance(obj.text, str) else obj.text
            pad_to(4)
            pos = len(buf)
            buf.extend(struct.pack("<I", len(raw)) + raw + b"\0")
            return pos
        if isinstance(obj, Vec):
            size = struct.calcsize(obj.fmt)
            pad_to(8, 4) if size == 8 else pad_to(4)
            pos = len(buf)
            buf.extend(struct.pack(f"<I{len(obj.values)}{obj.fmt}", len(obj.values), *obj.values))
            return pos
        if isinstance(obj, TVec):
            pad_to(4)
            pos = len(buf)
            buf.extend(struct.pack("<I", len(obj.tables)) + bytes(4 * len(obj.tables)))
            for i, t in enumerate(obj.tables):
                link(pos + 4 + 4 * i, write_table(t))
            return pos
        raise TypeError(obj)

    def write_table(t: T) -> int:
        layout: dict[int, int] = {}
        end = 4  # after the soffset
        for slot in sorted(t.fields):
            value = t.fields[slot]
            width = struct.calcsize(value.fmt) if isinstance(value, S) else 4
            end = (end + width - 1) // width * width
            layout[slot] = end
            end += width
        obj_size = (end + 3) // 4 * 4
        slots = max(t.fields, default=-1) + 1
        pad_to(2)
        vtable = len(buf)
        entries = [layout.get(i, 0) for i in range(slots)]
        buf.extend(struct.pack(f"<HH{slots}H", 4 + 2 * slots, obj_size, *entries))
        pad_to(8)
        pos = len(buf)
        buf.extend(bytes(obj_size))
        struct.pack_into("<i", buf, pos, pos - vtable)
        for slot, value in t.fields.items():
            if isinstance(value, S):
                struct.pack_into(f"<{value.fmt}", buf, pos + layout[slot], value.value)
        for slot, value in t.fields.items():
            if not isinstance(value, S):
                link(pos + layout[slot], write(value))
        return pos

    link(0, write_table(root))
    return bytes(buf)


# --- tflite-shaped helpers --------------------------------------------------


def tensor(
    name: str,
    shape: list[int],
    type_code: int = 0,
    buffer: int = 0,
    quantization: T | None = None,
    signature: list[int] | None = None,
    is_variable: bool = False,
) -> T:
    fields: dict[int, object] = {
        0: Vec("i", shape),
        1: S("b", type_code),
        2: S("I", buffer),
        3: Str(name),
    }
    if quantization is not None:
        fields[4] = quantization
    if is_variable:
        fields[5] = S("B", 1)
    if signature is not None:
        fields[7] = Vec("i", signature)
    return T(fields)


def quantization(scale: list[float], zero_point: list[int] | None, dim: int = 0) -> T:
    fields: dict[int, object] = {2: Vec("f", scale), 6: S("i", dim)}
    if zero_point is not None:
        fields[3] = Vec("q", zero_point)
    return T(fields)


def opcode(builtin: int, custom: str | None = None, version: int = 1) -> T:
    fields: dict[int, object] = {
        0: S("b", min(builtin, 127)),
        2: S("i", version),
        3: S("i", builtin),
    }
    if custom is not None:
        fields[1] = Str(custom)
    return T(fields)


def operator(opcode_index: int, inputs: list[int], outputs: list[int]) -> T:
    return T({0: S("I", opcode_index), 1: Vec("i", inputs), 2: Vec("i", outputs)})


def buffer(data: bytes | None = None) -> T:
    return T({} if data is None else {0: Vec("B", list(data))})


def subgraph(tensors: list[T], inputs: list[int], outputs: list[int], operators: list[T] = ()) -> T:
    return T(
        {
            0: TVec(tensors),
            1: Vec("i", inputs),
            2: Vec("i", outputs),
            3: TVec(list(operators)),
            4: Str("main"),
        }
    )


def model(
    subgraphs: list[T],
    opcodes: list[T] = (),
    buffers: list[T] | None = None,
    version: int = 3,
    description: str = "hand-made",
) -> T:
    return T(
        {
            0: S("I", version),
            1: TVec(list(opcodes)),
            2: TVec(subgraphs),
            3: Str(description),
            4: TVec([buffer()] if buffers is None else buffers),
        }
    )


def simple_model(**tensor_kwargs) -> bytes:
    """One subgraph whose single tensor is both input and output."""
    t = tensor(tensor_kwargs.pop("name", "x"), tensor_kwargs.pop("shape", [1, 4]), **tensor_kwargs)
    return build(model([subgraph([t], [0], [0])]))
