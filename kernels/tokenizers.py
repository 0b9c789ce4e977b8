"""tokenizers: BERT's input for question answering from two texts (question, context).

`[CLS] question [SEP] context [SEP]` as word-piece ids, padded with 0 to the outputs' length,
with the attention mask and segment ids, and optionally the tokens' text one a line. Each text
goes through the original's basic tokenizer (whitespace split, special tokens kept whole,
punctuation and CJK isolated, control characters deleted, ASCII lower-cased) in one pass over its
bytes; every finished word goes through word-piece (see _text_vocab).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._text_chars import ISOLATED, OTHER, WHITESPACE, CharClasses, decode
from rune.kernels._text_ops import (
    at,
    between,
    both,
    byte_at,
    choose,
    cond,
    either,
    equals,
    i32,
    one_if,
    put,
    truth,
    valid_utf8_prefix,
)
from rune.kernels._text_vocab import (
    CLS,
    SEPARATOR,
    SPECIALS,
    Vocabulary,
    VocabularyTables,
    vocabulary_tables,
)
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

#: Rust's White_Space characters outside BERT's whitespace: a text of only these has no tokens.
OTHER_BLANKS = (0x0B, 0x0C, 0x85, 0x2028, 0x2029)
VOCAB_HINT = ("the original embedded bert-base-uncased's vocabulary; give it (or your model's) "
              "as a string resource, e.g. `vocab: $VOCAB` with `resources: {VOCAB: {type: "
              "string, path: vocab.txt}}`")


def _describe(sig: TensorSig) -> str:
    return f"{sig.element}[{', '.join(map(str, sig.shape))}]"


class Tokenizers(ProcBlock):
    name = "tokenizers"
    summary = ("BERT input ids, attention mask and segment ids for [CLS] text1 [SEP] text2 [SEP] "
               "(word-piece over a vocabulary), and optionally the tokens one a line")
    arg_specs = (ArgSpec("vocab", str, doc="the word-piece vocabulary, one token a line; "
                                            "a token's id is its line number from 0"),)

    def parse_args(self, raw: Mapping[str, ArgValue]) -> dict[str, ArgValue]:
        if "vocab" not in raw:
            raise ProcBlockError(f"proc block tokenizers needs argument `vocab`: {VOCAB_HINT}")
        return super().parse_args(raw)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 2 or len(outputs) not in (3, 4):
            raise ProcBlockError(
                "tokenizers takes 2 inputs (u8 texts: question and context) and gives 3 outputs "
                "(i32 input ids, input mask, segment ids) or 4 (and the tokens as u8 text), "
                f"not {len(inputs)} and {len(outputs)}"
            )
        for position, sig in zip(("first", "second"), inputs, strict=True):
            if sig.element != "u8":
                raise ProcBlockError(f"tokenizers' {position} input is UTF-8 text as u8 bytes, "
                                     f"not {_describe(sig)}")
        ids = outputs[0]
        for sig in outputs[:3]:
            if sig.element != "i32" or prod(sig.shape) != prod(ids.shape):
                raise ProcBlockError(
                    f"tokenizers' first three outputs are i32 of one length (the sequence "
                    f"length, e.g. i32[1, 384]), not {', '.join(_describe(s) for s in outputs[:3])}"
                )
        if prod(ids.shape) < 3:
            raise ProcBlockError(f"tokenizers needs a sequence length of at least 3 for [CLS] "
                                 f"and two [SEP], not {prod(ids.shape)}")
        if len(outputs) == 4 and outputs[3].element != "u8":
            raise ProcBlockError(f"tokenizers' fourth output is the tokens' text as u8 bytes, "
                                 f"not {_describe(outputs[3])}")
        vocabulary_tables(str(args["vocab"]))

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        tables = vocabulary_tables(str(args["vocab"]))
        vocab = Vocabulary(b, tables)
        first, second = inputs
        text = b.state("text", max(first.count + second.count, 1), "u8")
        with b.loop(first.count) as i:
            b.store(b.load(first, i), text, i)
        with b.loop(second.count) as i:
            b.store(b.load(second, i), text, b.add_index(i, first.count))
        ids = b.state("ids", max(first.count + second.count, 1), "i32")
        ends = b.state("ends", 2, "i32")  # ids of the first text end at ends[0]
        basic = _BasicTokenizer(b, text, vocab, tables)

        def sentence(k: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            is_first = b.compare("eq", b.from_index(k), i32(b, 0))
            base = b.select(is_first, i32(b, 0), i32(b, first.count))
            size = b.select(is_first, i32(b, first.count), i32(b, second.count))
            count = basic.run(base, size, ids, carried[0])
            put(b, count, ends, b.from_index(k))
            return [count]

        b.fold(2, [i32(b, 0)], sentence)
        self._assemble(b, ids, at(b, ends, i32(b, 0)), at(b, ends, i32(b, 1)), outputs,
                       tables.id_of(CLS), tables.id_of(SEPARATOR))
        if len(outputs) == 4:
            _write_tokens(b, vocab, outputs[0], outputs[3])

    @staticmethod
    def _assemble(b: KernelBuilder, ids: Buffer, end_first: Scalar, end_both: Scalar,
                  outputs: Sequence[Buffer], cls: int, separator: int) -> None:
        """Truncate longest-first to fit, frame with [CLS]/[SEP], pad with 0."""
        input_ids, mask, segments = outputs[:3]
        length = input_ids.count
        count_first, count_second = end_first, b.sub(end_both, end_first)
        excess = b.maximum(b.sub(b.add(end_both, i32(b, 3)), i32(b, length)), i32(b, 0))
        # One token at a time from the longer text (the first on a tie): first down to the
        # shorter's length, then alternately, the first text first.
        gap = b.abs(b.sub(count_first, count_second))
        levelling = b.minimum(excess, gap)
        rest = b.sub(excess, levelling)
        one = i32(b, 1)
        cut_first = b.add(b.select(b.compare("gt", count_first, count_second), levelling,
                                   i32(b, 0)), b.shift_right(b.add(rest, one), one))
        cut_second = b.add(b.select(b.compare("gt", count_second, count_first), levelling,
                                    i32(b, 0)), b.shift_right(rest, one))
        kept_first = b.sub(count_first, cut_first)
        kept_second = b.sub(count_second, cut_second)
        second_start = b.add(kept_first, i32(b, 2))
        used = b.add(second_start, b.add(kept_second, one))
        last = i32(b, ids.count - 1)
        with b.loop(length) as p:
            position = b.from_index(p)
            in_first = both(b, b.compare("ge", position, one),
                            b.compare("le", position, kept_first))
            in_second = both(b, b.compare("ge", position, second_start),
                             b.compare("lt", position, b.sub(used, one)))
            first_index = b.minimum(b.maximum(b.sub(position, one), i32(b, 0)), last)
            second_index = b.minimum(b.maximum(
                b.add(count_first, b.sub(position, second_start)), i32(b, 0)), last)
            separator_here = either(b, b.compare("eq", position, b.add(kept_first, one)),
                                    b.compare("eq", position, b.sub(used, one)))
            ident = b.select(equals(b, position, 0), i32(b, cls), i32(b, 0))
            ident = b.select(separator_here, i32(b, separator), ident)
            ident = b.select(in_first, at(b, ids, first_index), ident)
            ident = b.select(in_second, at(b, ids, second_index), ident)
            b.store(ident, input_ids, p)
            b.store(one_if(b, b.compare("lt", position, used)), mask, p)
            b.store(one_if(b, both(b, b.compare("ge", position, second_start),
                                 b.compare("lt", position, used))), segments, p)


class _BasicTokenizer:
    """One pass over a text's bytes: words collect in a scratch buffer and go to word-piece at
    each boundary; special tokens and the tokens of isolated characters are emitted in order."""

    def __init__(self, b: KernelBuilder, text: Buffer, vocab: Vocabulary,
                 tables: VocabularyTables) -> None:
        self.b, self.text, self.vocab = b, text, vocab
        self.classes = CharClasses(b)
        self.word = b.state("word", max(text.count, 1), "u8")
        self.specials = [(s.encode(), tables.id_of(s)) for s in SPECIALS]

    def _usable_length(self, base: Scalar, size: Scalar) -> Scalar:
        """Trailing NULs trimmed (as the original does), then cut at the first ill-formed
        UTF-8 byte (where the original would stop with an error)."""
        b = self.b

        def step(j: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            position = b.from_index(j)
            nonzero = b.compare("ne", byte_at(b, self.text, b.add(base, position)), i32(b, 0))
            return [b.select(nonzero, b.add(position, i32(b, 1)), carried[0])]

        trimmed = b.fold(b.to_index(size), [i32(b, 0)], step)[0]
        return valid_utf8_prefix(b, self.text, trimmed, offset=base)

    def _special_at(self, position: Scalar, remaining: Scalar) -> tuple[Scalar, Scalar]:
        """(length, id) of the special token spelled at text[position], (0, -1) if none."""
        b = self.b
        last = i32(b, self.text.count - 1)
        width = max(len(s) for s, _ in self.specials)
        bytes_ = [byte_at(b, self.text, b.minimum(b.add(position, i32(b, j)), last))
                  for j in range(width)]
        length, ident = i32(b, 0), i32(b, -1)
        for spelled, special_id in self.specials:
            fits = b.compare("ge", remaining, i32(b, len(spelled)))
            match = both(b, fits, *(equals(b, bytes_[j], c) for j, c in enumerate(spelled)))
            length = b.select(match, i32(b, len(spelled)), length)
            ident = b.select(match, i32(b, special_id), ident)
        return length, ident

    def run(self, base: Scalar, size: Scalar, ids: Buffer, count: Scalar) -> Scalar:
        """Append the text's ids to ids[count:]; the new count."""
        b = self.b
        usable = self._usable_length(base, size)
        last = i32(b, self.text.count - 1)

        def step(j: SSAValue, state: list[Scalar]) -> list[Scalar]:
            count, skip, size_w, chars, pending, copying, blank = state
            i = b.from_index(j)
            inside = b.compare("lt", i, usable)
            position = b.add(base, i)
            byte = byte_at(b, self.text, b.minimum(position, last))
            skipping = b.compare("gt", skip, i32(b, 0))
            lead = b.negate_bool(skipping)
            here = both(b, lead, inside)

            def classify() -> list[Scalar]:
                cp, length = decode(b, self.text, b.minimum(position, last))
                blank_char = either(b, *(equals(b, cp, c) for c in OTHER_BLANKS))
                cls = self.classes.of(b, cp)
                blank_char = either(b, blank_char, equals(b, cls, WHITESPACE))
                return [cls, length, cond(blank_char)]

            cls, length, blank_char = b.if_else(
                here, classify, lambda: [i32(b, OTHER), i32(b, 1), truth(b, True)])
            special_length, special_id = self._special_at(position, b.sub(usable, i))
            special = both(b, here, b.compare("gt", special_length, i32(b, 0)))
            plain = both(b, here, b.negate_bool(special))
            space = both(b, plain, equals(b, cls, WHITESPACE))
            isolated = both(b, plain, equals(b, cls, ISOLATED))
            kept = both(b, plain, either(b, equals(b, cls, OTHER), isolated))
            boundary = both(b, lead, either(b, b.negate_bool(inside), pending.value, special,
                                            space, isolated))
            flush = both(b, boundary, b.compare("gt", size_w, i32(b, 0)))
            count = b.if_else(
                flush,
                lambda: [self.vocab.wordpiece(b, self.word, size_w, chars, ids, count)],
                lambda: [count],
            )[0]
            size_w = b.select(boundary, i32(b, 0), size_w)
            chars = b.select(boundary, i32(b, 0), chars)
            b.when(special, lambda: put(b, special_id, ids, count))
            count = b.add(count, one_if(b, special))
            appended = either(b, kept, both(b, skipping, copying.value))
            upper_case = both(b, lead, between(b, byte, 0x41, 0x5A))
            lowered = b.select(upper_case, b.add(byte, i32(b, 0x20)), byte)
            b.when(appended, lambda: put(b, b.convert(lowered, "u8"), self.word, size_w))
            next_skip = b.select(skipping, b.sub(skip, i32(b, 1)), b.select(
                special, b.sub(special_length, i32(b, 1)),
                b.select(inside, b.sub(length, i32(b, 1)), i32(b, 0))))
            return [
                count,
                next_skip,
                b.add(size_w, one_if(b, appended)),
                b.add(chars, one_if(b, kept)),
                cond(choose(b, lead, isolated, pending.value)),
                cond(choose(b, skipping, copying.value, kept)),
                cond(both(b, blank.value, either(b, b.negate_bool(here), blank_char.value))),
            ]

        init = [count, i32(b, 0), i32(b, 0), i32(b, 0), truth(b, False), truth(b, False),
                truth(b, True)]
        upper = b.to_index(b.add(usable, i32(b, 1)))
        final = b.fold(upper, init, step)
        # A text of only (Rust) whitespace has no tokens, even where BERT would keep a char.
        return b.select(final[6].value, count, final[0])


def _write_tokens(b: KernelBuilder, vocab: Vocabulary, input_ids: Buffer, words: Buffer) -> None:
    """Every id's token and a newline, padding included, cut at the buffer's end, then 0s."""
    capacity = i32(b, words.count)
    with b.loop(words.count) as i:
        b.store(b.constant(0, "u8"), words, i)

    def token(p: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        ident = b.load(input_ids, p)
        start, length = vocab.start_of(b, ident), vocab.length_of(b, ident)

        def byte(j: SSAValue, state: list[Scalar]) -> list[Scalar]:
            k = b.from_index(j)
            inside = b.compare("lt", k, length)
            index = b.add(start, b.minimum(k, b.maximum(b.sub(length, i32(b, 1)), i32(b, 0))))
            value = b.select(inside, vocab.byte(b, index), i32(b, ord("\n")))
            b.when(b.compare("lt", state[0], capacity),
                 lambda: put(b, b.convert(value, "u8"), words, state[0]))
            return [b.add(state[0], i32(b, 1))]

        return b.fold(b.to_index(b.add(length, i32(b, 1))), carried, byte)

    b.fold(input_ids.count, [i32(b, 0)], token)
