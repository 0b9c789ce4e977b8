"""Compile-time string facts the text kernels share: Rust's whitespace, `trim` and `lines`.

The original's kernels are Rust, so a wordlist or vocabulary is cut the way Rust's `str` methods
cut it, which differs from Python's in the details (Python's `isspace` also accepts U+001C..1F;
`splitlines` also splits on U+2028 and more). Plain Python, free of xDSL and NumPy: a compile
whose label kernel comes from a cache packs its wordlist with it (ir/data_args.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

#: `char::is_whitespace`: the Unicode White_Space property.
RUST_WHITESPACE = frozenset(
    [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
     0x202F, 0x205F, 0x3000]
)


def rust_trim(text: str) -> str:
    """`str::trim`: strip White_Space characters from both ends."""
    start, end = 0, len(text)
    while start < end and ord(text[start]) in RUST_WHITESPACE:
        start += 1
    while end > start and ord(text[end - 1]) in RUST_WHITESPACE:
        end -= 1
    return text[start:end]


def rust_lines(text: str) -> list[str]:
    """`str::lines` as Rust had it in 2021: split on "\\n" (no empty piece after a final one),
    then drop one "\\r" from the end of every line, the last one included."""
    if not text:
        return []
    pieces = text.split("\n")
    if pieces[-1] == "":
        pieces.pop()
    return [p[:-1] if p.endswith("\r") else p for p in pieces]


def pack_strings(strings: Sequence[str]) -> tuple[bytes, list[int], list[int]]:
    """UTF-8 bytes of all strings back to back, with each one's start and length.
    The bytes are never empty, so they can become a table."""
    encoded = [s.encode("utf-8") for s in strings]
    lengths = [len(e) for e in encoded]
    starts = list(accumulate(lengths, initial=0))[:-1]
    return b"".join(encoded) or b"\0", starts, lengths
