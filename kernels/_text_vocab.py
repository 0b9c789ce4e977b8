"""A WordPiece vocabulary baked into the rune, and BERT's greedy longest-match over it.

At compile time the vocabulary (one token a line, its line number its id) becomes the tokens'
bytes plus an open-addressing hash table (FNV-1a, linear probing) of token ids. At run time a
word is split from the left: at each position the longest piece in the vocabulary ("##"-prefixed
after the first) is taken; if some position has none, the whole word is [UNK]. No ProcBlock
lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.ir.text_rules import pack_strings, rust_lines, rust_trim
from rune.kernels._text_ops import (
    at,
    between,
    bit_xor,
    both,
    byte_or_zero,
    cond,
    either,
    i32,
    one_if,
    put,
    truth,
)
from rune.kernels.base import ProcBlockError
from xdsl.ir import SSAValue

UNKNOWN, MASK, SEPARATOR, CLS, PAD = "[UNK]", "[MASK]", "[SEP]", "[CLS]", "[PAD]"
SPECIALS = (UNKNOWN, MASK, SEPARATOR, CLS, PAD)
MAX_WORD_CHARS = 100  # longer words are [UNK] without trying pieces
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619
CONTINUATION = "##"


def fnv1a(data: bytes, state: int = FNV_OFFSET) -> int:
    for byte in data:
        state = ((state ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return state


def vocabulary_words(text: str) -> list[str]:
    """The original's BertVocab: one token a line (each line trimmed), no duplicates, and the
    five special tokens present."""
    words = [rust_trim(line) for line in rust_lines(text)]
    seen: dict[str, int] = {}
    for line, word in enumerate(words):
        if word in seen:
            raise ProcBlockError(f"argument `vocab` has {word!r} twice (lines {seen[word] + 1} "
                                 f"and {line + 1}); every token must be unique")
        seen[word] = line
        if len(word.encode("utf-8")) > 0xFFFF:
            raise ProcBlockError(f"argument `vocab` line {line + 1} is longer than 65535 bytes")
    missing = [s for s in SPECIALS if s not in seen]
    if missing:
        raise ProcBlockError(f"argument `vocab` lacks the special token(s) {', '.join(missing)}; "
                             f"a BERT vocabulary needs {', '.join(SPECIALS)}")
    return words


@dataclass(frozen=True)
class VocabularyTables:
    words: tuple[str, ...]
    data: np.ndarray      # u8: every token's bytes back to back
    starts: np.ndarray    # u32 per id
    lengths: np.ndarray   # u16 per id
    slots: np.ndarray     # i32 hash table of ids, -1 empty
    probes: int           # the longest probe sequence any token needs
    longest: int          # bytes in the longest token

    def id_of(self, word: str) -> int:
        return self.words.index(word)


@cache
def vocabulary_tables(text: str) -> VocabularyTables:
    words = vocabulary_words(text)
    raw, offsets, sizes = pack_strings(words)
    data, starts = np.frombuffer(raw, np.uint8), np.array(offsets, np.uint32)
    lengths = np.array(sizes, np.uint32)
    size = 8
    while size < 2 * len(words):
        size *= 2
    slots = np.full(size, -1, dtype=np.int32)
    longest_probe = 0
    for ident, word in enumerate(words):
        if not word:
            continue  # a piece is never empty
        slot, probe = fnv1a(word.encode("utf-8")) & (size - 1), 0
        while slots[slot] >= 0:
            slot, probe = (slot + 1) & (size - 1), probe + 1
        slots[slot] = ident
        longest_probe = max(longest_probe, probe)
    return VocabularyTables(tuple(words), data, starts, lengths.astype(np.uint16), slots,
                            longest_probe + 1, int(lengths.max()))


class Vocabulary:
    """The tables in the rune and the lookups over them."""

    def __init__(self, b: KernelBuilder, tables: VocabularyTables) -> None:
        self.tables = tables
        self.data = b.table("vocab_bytes", tables.data, "u8")
        self.starts = b.table("vocab_starts", tables.starts, "u32")
        self.lengths = b.table("vocab_lengths", tables.lengths, "u16")
        self.slots = b.table("vocab_slots", tables.slots, "i32")

    def start_of(self, b: KernelBuilder, ident: Scalar) -> Scalar:
        return Scalar(at(b, self.starts, ident).value, "i32")

    def length_of(self, b: KernelBuilder, ident: Scalar) -> Scalar:
        return b.convert(at(b, self.lengths, ident), "i32")

    def byte(self, b: KernelBuilder, index: Scalar) -> Scalar:
        safe = b.minimum(index, i32(b, self.data.count - 1))
        return b.convert(at(b, self.data, safe), "i32")

    def _same(self, b: KernelBuilder, word: Buffer, start: Scalar, size: Scalar,
              prefixed: SSAValue, ident: Scalar) -> SSAValue:
        """Token `ident` spells ("##" if prefixed) + word[start:start+size]."""
        shift = b.select(prefixed, i32(b, 2), i32(b, 0))
        total = b.add(size, shift)
        base = self.start_of(b, ident)

        def step(j: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            k = b.from_index(j)
            in_prefix = both(b, prefixed, b.compare("lt", k, i32(b, 2)))
            index = b.maximum(b.sub(b.add(start, k), shift), i32(b, 0))
            mine = b.select(in_prefix, i32(b, ord("#")), b.convert(at(b, word, index), "i32"))
            same = b.compare("eq", mine, self.byte(b, b.add(base, k)))
            return [cond(both(b, carried[0].value, same))]

        return b.fold(b.to_index(total), [truth(b, True)], step)[0].value

    def lookup(self, b: KernelBuilder, word: Buffer, start: Scalar, size: Scalar,
               prefixed: SSAValue, hashed: Scalar) -> Scalar:
        """The id of ("##" if prefixed) + word[start:start+size], whose FNV-1a hash is given,
        or -1."""
        mask = b.constant(self.tables.slots.size - 1, "u32")
        total = b.add(size, b.select(prefixed, i32(b, 2), i32(b, 0)))

        def probe(p: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            found, done = carried
            slot = b.bit_and(b.add(hashed, b.from_index(p, "u32")), mask)
            ident = at(b, self.slots, slot)
            empty = b.compare("lt", ident, i32(b, 0))
            safe = b.maximum(ident, i32(b, 0))
            candidate = both(b, b.negate_bool(done.value), b.negate_bool(empty),
                             b.compare("eq", self.length_of(b, safe), total))
            matched = b.if_else(
                candidate,
                lambda: [cond(self._same(b, word, start, size, prefixed, safe))],
                lambda: [truth(b, False)],
            )[0].value
            return [b.select(matched, ident, found), cond(either(b, done.value, empty, matched))]

        return b.fold(self.tables.probes, [i32(b, -1), truth(b, False)], probe)[0]

    def wordpiece(self, b: KernelBuilder, word: Buffer, size: Scalar, chars: Scalar,
                  ids: Buffer, count: Scalar) -> Scalar:
        """Append word[:size]'s pieces (or one [UNK]) to ids[count:]; the new count."""
        unknown = i32(b, self.tables.id_of(UNKNOWN))
        too_long = b.compare("gt", chars, i32(b, MAX_WORD_CHARS))
        plain, prefixed_seed = FNV_OFFSET, fnv1a(CONTINUATION.encode())

        def piece(_: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            start, pieces, failed = carried
            active = both(b, b.compare("lt", start, size), b.negate_bool(failed.value))

            def longest_match() -> list[Scalar]:
                prefixed = b.compare("gt", start, i32(b, 0))
                seed = b.select(prefixed, b.constant(prefixed_seed, "u32"),
                                b.constant(plain, "u32"))
                reach = b.minimum(b.sub(size, start), i32(b, self.tables.longest))

                def extend(k: SSAValue, state: list[Scalar]) -> list[Scalar]:
                    hashed, best_size, best_id = state
                    length = b.add(b.from_index(k), i32(b, 1))
                    byte = b.convert(at(b, word, b.add(start, b.from_index(k))), "u32")
                    hashed = b.mul(bit_xor(b, hashed, byte), b.constant(FNV_PRIME, "u32"))
                    end = b.add(start, length)
                    following = byte_or_zero(b, word, end, size)
                    whole = either(b, b.compare("eq", end, size),
                                   b.negate_bool(between(b, following, 0x80, 0xBF)))
                    ident = b.if_else(
                        whole,
                        lambda: [self.lookup(b, word, start, length, prefixed, hashed)],
                        lambda: [i32(b, -1)],
                    )[0]
                    hit = b.compare("ge", ident, i32(b, 0))
                    return [hashed, b.select(hit, length, best_size), b.select(hit, ident, best_id)]

                _, best_size, best_id = b.fold(b.to_index(reach), [seed, i32(b, 0), i32(b, -1)],
                                               extend)
                hit = b.compare("gt", best_size, i32(b, 0))
                b.when(hit, lambda: put(b, best_id, ids, b.add(count, pieces)))
                return [b.add(start, best_size), b.add(pieces, one_if(b, hit)),
                        cond(b.negate_bool(hit))]

            return b.if_else(active, longest_match, lambda: [start, pieces, failed])

        init = [i32(b, 0), i32(b, 0), cond(too_long)]
        _, pieces, failed = b.fold(b.to_index(size), init, piece)
        b.when(failed.value, lambda: put(b, unknown, ids, count))
        return b.select(failed.value, b.add(count, i32(b, 1)), b.add(count, pieces))
