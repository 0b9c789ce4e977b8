"""text_extractor: BERT question answering's last step, token lines start..=end joined back
into text ("##" pieces glued to the word before them, other tokens separated by a space)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._text_ops import (
    address_of,
    both,
    byte_at,
    byte_or_zero,
    cond,
    either,
    equals,
    i32,
    one_if,
    put,
    truth,
    utf8_string,
    valid_utf8_prefix,
)
from rune.kernels.base import ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

NEWLINE, RETURN, HASH, SPACE = 0x0A, 0x0D, 0x23, 0x20


def _describe(sig: TensorSig) -> str:
    return f"{sig.element}[{', '.join(map(str, sig.shape))}]"


def _line_count(b: KernelBuilder, text: Buffer) -> Scalar:
    """Rust's `lines().count()`: one line per "\\n", plus an unterminated last line."""

    def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        newline = equals(b, byte_at(b, text, b.from_index(i)), NEWLINE)
        return [b.add(carried[0], one_if(b, newline))]

    newlines = b.fold(text.count, [i32(b, 0)], step)[0]
    if text.count == 0:
        return newlines
    last = byte_at(b, text, i32(b, text.count - 1))
    return b.add(newlines, b.select(equals(b, last, NEWLINE), i32(b, 0), i32(b, 1)))


class TextExtractor(ProcBlock):
    name = "text_extractor"
    summary = "token lines start..=end of the text joined into the answer (one utf8 string)"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 3 or len(outputs) != 1:
            raise ProcBlockError(
                "text_extractor takes 3 inputs (u8 token text, u32 start index, u32 end "
                f"index) and gives 1 output, not {len(inputs)} and {len(outputs)}"
            )
        text, start, end = inputs
        if text.element != "u8":
            raise ProcBlockError(f"text_extractor's first input is the tokens' text as u8 "
                                 f"bytes, one token a line, not {_describe(text)}")
        for what, sig in (("second input (start index)", start), ("third input (end index)",
                                                                   end)):
            if sig.element != "u32" or prod(sig.shape) < 1:
                raise ProcBlockError(f"text_extractor's {what} must be u32 with at least one "
                                     f"element (e.g. u32[1]), not {_describe(sig)}")
        if outputs[0].element != "utf8" or prod(outputs[0].shape) != 1:
            raise ProcBlockError(f"text_extractor gives one string, so its output must be "
                                 f"utf8[1], not {_describe(outputs[0])}")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        text, start_buffer, end_buffer = inputs
        size = text.count
        answer = b.state("answer", size + 2, "u8")  # never longer than the text (see docs)
        first = b.convert(b.load(start_buffer, b.index(0)), "i64")
        last = b.convert(b.load(end_buffer, b.index(0)), "i64")
        lines = b.convert(_line_count(b, text), "i64")
        valid = b.compare("eq", valid_utf8_prefix(b, text, size), i32(b, size))
        ok = both(b, valid, b.compare("gt", last, first), b.compare("lt", last, lines))

        def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            line, at_start, skip, length = carried
            position = b.from_index(i)
            byte = byte_at(b, text, position)
            following = byte_or_zero(b, text, b.add(position, i32(b, 1)), i32(b, size))
            wide_line = b.convert(line, "i64")
            selected = both(b, b.compare("ge", wide_line, first), b.compare("le", wide_line, last))
            piece = both(b, at_start.value, equals(b, byte, HASH), equals(b, following, HASH))
            spaced = both(b, selected, at_start.value, b.negate_bool(piece),
                          b.compare("gt", length, i32(b, 0)))
            b.when(spaced, lambda: put(b, b.constant(SPACE, "u8"), answer, length))
            length = b.add(length, one_if(b, spaced))
            newline = equals(b, byte, NEWLINE)
            is_last = b.compare("eq", position, i32(b, size - 1))
            dropped_return = both(b, equals(b, byte, RETURN),
                                  either(b, is_last, equals(b, following, NEWLINE)))
            skip = b.select(piece, i32(b, 2), skip)
            written = both(b, selected, b.negate_bool(either(b, newline, dropped_return)),
                           equals(b, skip, 0))
            b.when(written, lambda: put(b, b.convert(byte, "u8"), answer, length))
            return [
                b.add(line, one_if(b, newline)),
                cond(newline),
                b.select(b.compare("gt", skip, i32(b, 0)), b.sub(skip, i32(b, 1)), i32(b, 0)),
                b.add(length, one_if(b, written)),
            ]

        init = [i32(b, 0), truth(b, True), i32(b, 0), i32(b, 0)]
        length = b.fold(size, init, step)[3]
        length = b.select(ok, length, i32(b, 0))
        b.store(utf8_string(b, address_of(b, answer), length), outputs[0], b.index(0))
