"""Bounds on the numbers and documents a hostile Runefile or rune may contain.

One owner for the limits that both readers enforce, the Runefile's YAML (frontend/yaml_loader.py)
and the manifest's JSON (`load_json` here): nesting depth, integers that fit 64 bits (refused by
their digit count before `int()` sees them), finite floats, and the byte size of a tensor, so no
size arithmetic driven by a user's dimensions can run away. Pure Python, no dependencies.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable
from typing import Any

MAX_DEPTH = 64  # nesting of lists/maps; a Runefile or manifest needs under 10
MAX_INT_DIGITS = 20  # enough for any 64-bit integer, far below Python's 4300-digit guard
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # i64 and u64 values both occur (seeds, masks)
MAX_TENSOR_BYTES = 2**31  # half of wasm32's 4 GiB address space: no tensor can be larger
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_DIMENSIONS = 32
MAX_ANY_BYTES = 2**62  # a manifest's tensors: sizes past this are corrupt, not just too big


class BoundsError(ValueError):
    """A value or document is outside what Rune accepts; the message says which bound."""


def check_int(value: int, what: str = "integer") -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise BoundsError(f"{what} {_short(str(value))} does not fit in 64 bits")
    return value


def int_text(text: str, what: str = "integer") -> int:
    """`int(text)` for decimal text, refused by its length before conversion."""
    digits = text.strip().lstrip("+-").replace("_", "")
    if len(digits) > MAX_INT_DIGITS:
        raise BoundsError(f"{what} {_short(text)} has {len(digits)} digits; at most "
                          f"{MAX_INT_DIGITS} fit in 64 bits")
    return check_int(int(text), what)


def check_float(value: float, what: str = "number") -> float:
    if not math.isfinite(value):
        raise BoundsError(f"{what} {value} is not finite")
    return value


def tensor_bytes(dimensions: Iterable[int], itemsize: int, what: str = "tensor",
                 limit: int = MAX_TENSOR_BYTES) -> int:
    """The byte size of a tensor, refused as soon as the running product passes `limit`
    (never a product of huge numbers)."""
    dims = list(dimensions)
    if len(dims) > MAX_DIMENSIONS:
        raise BoundsError(f"{what} has {len(dims)} dimensions; at most {MAX_DIMENSIONS}")
    if any(d < 0 for d in dims):
        raise BoundsError(f"{what} {_dims(dims)} has a negative dimension")
    if 0 in dims:
        return 0
    total = itemsize
    for d in dims:
        total *= d
        if total > limit:
            what_fits = "(2 GiB), which no wasm32 rune can hold" if limit == MAX_TENSOR_BYTES \
                else "(a size no machine has)"
            raise BoundsError(f"{what} {_dims(dims)} needs more than {limit} bytes {what_fits}")
    return total


MAX_FILE_BYTES = 2**31  # a rune or an input file the runtime reads


def read_regular_file(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES,
                      what: str | None = None) -> bytes:
    """The bytes of one regular file, checked before a byte is read: not a device, FIFO or
    directory (/dev/zero would stream forever), at most `max_bytes`, and never more than the
    size fstat gave (a /proc pseudo-file says 0 and streams). BoundsError or OSError."""
    name = what or os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BoundsError(f"`{name}` is {file_kind(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise BoundsError(f"`{name}` is larger than the {max_bytes}-byte limit on a file "
                              "read")
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, info.st_size + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > info.st_size:
                raise BoundsError(f"`{name}` holds more than the {info.st_size} bytes it "
                                  "reports: a pseudo-file or one being written")
        return b"".join(chunks)
    finally:
        os.close(fd)


def file_kind(mode: int) -> str:
    for test, label in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return label
    return "not a regular file"


def load_json(data: bytes | str, what: str = "document",
              max_bytes: int = MAX_MANIFEST_BYTES) -> Any:
    """JSON with bounded size and depth, integers that fit 64 bits (checked before `int()`),
    and no NaN/Infinity; BoundsError (or ValueError for bad JSON) otherwise."""
    if len(data) > max_bytes:
        raise BoundsError(f"{what} is {len(data)} bytes; at most {max_bytes}")
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    _check_depth(text, what)

    def constant(name: str) -> float:
        raise BoundsError(f"{what} holds {name}, which is not a finite number")

    def floating(text: str) -> float:
        return check_float(float(text), f"{what} number")

    return json.loads(text, parse_int=lambda t: int_text(t, f"{what} integer"),
                      parse_float=floating, parse_constant=constant)


def _check_depth(text: str, what: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before a recursive parser meets it."""
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise BoundsError(f"{what} nests deeper than {MAX_DEPTH} levels")


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]}"


def _dims(dims: list[int]) -> str:
    shown = ", ".join(_short(str(d)) for d in dims[:8])
    return f"[{shown}{', ...' if len(dims) > 8 else ''}]"
