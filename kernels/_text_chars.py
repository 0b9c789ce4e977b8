"""BERT's character classes (whitespace, punctuation, CJK, control) as one range table.

The original's basic tokenizer splits on its whitespace list, isolates punctuation and CJK
ideographs as one-character tokens, and deletes control characters. Here every code point gets
one class, precomputed into sorted (first code point, class) ranges and found at run time by
binary search. Punctuation and format characters come from Python's `unicodedata`, so they
follow its Unicode version. No ProcBlock lives here.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._text_ops import at, byte_at, i32
from xdsl.ir import SSAValue

OTHER, WHITESPACE, ISOLATED, REMOVED = 0, 1, 2, 3

#: The original's whitespace: Unicode Zs plus tab, newline and carriage return.
BERT_WHITESPACE = frozenset(
    [0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000, 0x09, 0x0A, 0x0D]
)
ASCII_PUNCTUATION = (range(33, 48), range(58, 65), range(91, 97), range(123, 127))
CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
       (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
CONTROL_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0xE000, 0xF8FF), (0xD800, 0xDFFF),
                  (0xE0020, 0xE007F), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
MAX_CODE_POINT = 0x10FFFF


@cache
def class_ranges() -> tuple[np.ndarray, np.ndarray]:
    """Sorted range starts (u32) and their classes (u8): a code point's class is that of the
    last start not above it. Painted lowest priority first, as the original applies its rules
    in the other order (whitespace split, then punctuation, then CJK, then control removal)."""
    classes = np.full(MAX_CODE_POINT + 1, OTHER, dtype=np.uint8)
    scanned = [*range(0x20000), *range(0xE0000, 0xE1000)]
    for low, high in CONTROL_RANGES:
        classes[low:high + 1] = REMOVED
    classes[[cp for cp in scanned if unicodedata.category(chr(cp)) == "Cf"]] = REMOVED
    classes[0xFFFD] = REMOVED  # the replacement character is dropped with the controls
    for low, high in CJK:
        classes[low:high + 1] = ISOLATED
    classes[[cp for cp in scanned if unicodedata.category(chr(cp)).startswith("P")]] = ISOLATED
    for span in ASCII_PUNCTUATION:
        classes[span.start:span.stop] = ISOLATED
    classes[sorted(BERT_WHITESPACE)] = WHITESPACE
    starts = np.flatnonzero(np.diff(classes, prepend=np.uint8(255)) != 0)
    return starts.astype(np.uint32), classes[starts]


class CharClasses:
    """The range table in the rune, and the binary search that reads it."""

    def __init__(self, b: KernelBuilder) -> None:
        starts, classes = class_ranges()
        self.count = len(starts)
        self.starts = b.table("class_starts", starts, "u32")
        self.classes = b.table("classes", classes, "u8")

    def of(self, b: KernelBuilder, cp: Scalar) -> Scalar:
        """The class (i32) of code point cp (i32)."""
        steps = max(1, (self.count - 1).bit_length())

        def step(_: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            low, high = carried  # answer in [low, high]
            middle = b.shift_right(b.add(b.add(low, high), i32(b, 1)), i32(b, 1))
            start = b.convert(at(b, self.starts, middle), "i32")
            above = b.compare("gt", start, cp)
            return [b.select(above, low, middle), b.select(above, b.sub(middle, i32(b, 1)), high)]

        low = b.fold(steps, [i32(b, 0), i32(b, self.count - 1)], step)[0]
        return b.convert(at(b, self.classes, low), "i32")


def decode(b: KernelBuilder, text: Buffer, position: Scalar) -> tuple[Scalar, Scalar]:
    """(code point, byte length) of the well-formed character at text[position]; bytes past
    the buffer read as the last byte (only garbage in, for positions nothing uses)."""
    last = i32(b, text.count - 1)

    def byte(offset: int) -> Scalar:
        return byte_at(b, text, b.minimum(b.add(position, i32(b, offset)), last))

    first, second, third, fourth = byte(0), byte(1), byte(2), byte(3)

    def low_bits(value: Scalar, bits: int, shift: int) -> Scalar:
        return b.shift_left(b.bit_and(value, i32(b, (1 << bits) - 1)), i32(b, shift))

    two = b.bit_or(low_bits(first, 5, 6), low_bits(second, 6, 0))
    three = b.bit_or(b.bit_or(low_bits(first, 4, 12), low_bits(second, 6, 6)),
                     low_bits(third, 6, 0))
    four = b.bit_or(b.bit_or(low_bits(first, 3, 18), low_bits(second, 6, 12)),
                    b.bit_or(low_bits(third, 6, 6), low_bits(fourth, 6, 0)))
    length = b.select(b.compare("lt", first, i32(b, 0x80)), i32(b, 1), b.select(
        b.compare("lt", first, i32(b, 0xE0)), i32(b, 2),
        b.select(b.compare("lt", first, i32(b, 0xF0)), i32(b, 3), i32(b, 4))))
    cp = b.select(b.compare("eq", length, i32(b, 1)), first, b.select(
        b.compare("eq", length, i32(b, 2)), two,
        b.select(b.compare("eq", length, i32(b, 3)), three, four)))
    return cp, length
