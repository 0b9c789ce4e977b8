"""tokenizers, compiled to wasm, against a plain Python version of the original's pipeline
(token lists: whitespace split, special tokens, punctuation and CJK split, cleaning, word-piece,
longest-first truncation), with the documented subset: only ASCII is lower-cased, and nothing is
accent-stripped."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

SPECIALS = ["[UNK]", "[MASK]", "[SEP]", "[CLS]", "[PAD]"]
BERT_WHITESPACE = {0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000, 0x09,
                   0x0A, 0x0D}
RUST_WHITESPACE = {*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


# --- the reference ------------------------------------------------------------------------------

def is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    ascii_symbol = 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126
    return ascii_symbol or unicodedata.category(ch).startswith("P")


def is_cjk(ch: str) -> bool:
    return any(low <= ord(ch) <= high for low, high in CJK_RANGES)


def is_dropped(ch: str) -> bool:
    """clean_text(strict): controls (not \\t \\n \\r), format characters, NUL, U+FFFD."""
    cp = ord(ch)
    if ch in "\t\n\r":
        return False
    ranges = [(0, 0x1F), (0x7F, 0x9F), (0xE000, 0xF8FF), (0xE0020, 0xE007F), (0xF0000, 0xFFFFD),
              (0x100000, 0x10FFFD)]
    return (any(low <= cp <= high for low, high in ranges) or cp == 0xFFFD
            or unicodedata.category(ch) == "Cf")


def basic_tokens(text: str) -> list[str]:
    if all(ord(ch) in RUST_WHITESPACE for ch in text):
        return []
    words, current = [], ""
    for ch in text:
        if ord(ch) in BERT_WHITESPACE:
            words.append(current)
            current = ""
        else:
            current += ch
    words.append(current)
    tokens: list[str] = []
    for word in filter(None, words):
        start, i, pieces = 0, 0, []
        while i < len(word):
            special = next((s for s in SPECIALS if word.startswith(s, i)), None)
            if special:
                pieces += [(word[start:i], False), (special, True)]
                i = start = i + len(special)
            else:
                i += 1
        pieces.append((word[start:], False))
        for piece, special in pieces:
            if special:
                tokens.append(piece)
                continue
            run = ""
            for ch in piece:
                if is_punctuation(ch) or is_cjk(ch):
                    tokens += [clean(run), clean(ch)]
                    run = ""
                else:
                    run += ch
            tokens.append(clean(run))
    return [t for t in tokens if t]


def clean(token: str) -> str:
    kept = "".join(ch for ch in token if not is_dropped(ch))
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in kept)


def wordpiece(token: str, vocab: dict[str, int]) -> list[str]:
    if len(token) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(token):
        for end in range(len(token), start, -1):
            piece = ("##" if start else "") + token[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return pieces


def usable_text(data: bytes) -> str:
    """Trailing NULs trimmed; then the well-formed UTF-8 prefix (the original would stop)."""
    data = data.rstrip(b"\0")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data[:exc.start].decode("utf-8")


def reference(vocab_lines: list[str], first: bytes, second: bytes, length: int, words: int):
    vocab = {w: i for i, w in enumerate(vocab_lines)}
    ids = []
    for data in (first, second):
        pieces = [p for t in basic_tokens(usable_text(data)) for p in wordpiece(t, vocab)]
        ids.append([vocab[p] for p in pieces])
    one, two = ids
    for _ in range(max(len(one) + len(two) + 3 - length, 0)):
        (one if len(one) >= len(two) else two).pop()
    tokens = [vocab["[CLS]"], *one, vocab["[SEP]"], *two, vocab["[SEP]"]]
    input_ids = np.zeros(length, dtype=np.int32)
    input_ids[:len(tokens)] = tokens
    mask = (np.arange(length) < len(tokens)).astype(np.int32)
    segments = np.zeros(length, dtype=np.int32)
    segments[len(one) + 2:len(tokens)] = 1
    text = "".join(vocab_lines[i] + "\n" for i in input_ids).encode()[:words]
    return input_ids, mask, segments, np.frombuffer(text.ljust(words, b"\0"), dtype=np.uint8)


# --- helpers ------------------------------------------------------------------------------------

def text_array(data: bytes, size: int) -> np.ndarray:
    array = np.zeros(size, dtype=np.uint8)
    array[:len(data)] = np.frombuffer(data[:size], dtype=np.uint8)
    return array


def compile_tokenizer(vocab_lines: list[str], text_bytes: int, length: int, words: int):
    return compile_pipeline(
        "tokenizers", {"vocab": "\n".join(vocab_lines) + "\n"},
        [("u8", [text_bytes]), ("u8", [text_bytes])],
        [("i32", [1, length]), ("i32", [1, length]), ("i32", [1, length]), ("u8", [words])],
    )


def check(rune, vocab_lines, first: bytes, second: bytes, text_bytes: int, length: int,
          words: int) -> None:
    got = run_kernel(rune, text_array(first, text_bytes), text_array(second, text_bytes))
    expected = reference(vocab_lines, first[:text_bytes], second[:text_bytes], length, words)
    for name, g, e in zip(("input ids", "mask", "segment ids", "tokens"), got, expected,
                          strict=True):
        np.testing.assert_array_equal(g.reshape(-1), e, err_msg=name)


# --- the original's own test vector -------------------------------------------------------------

GOLDEN_IDS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103, "what": 2054,
              "is": 2003, "google": 8224, "?": 1029, "llc": 11775, "an": 2019, "american": 2137,
              "multinational": 20584, "technology": 2974, "company": 2194, ".": 1012}
GOLDEN = [101, 2054, 2003, 8224, 1029, 102, 8224, 11775, 2003, 2019, 2137, 20584, 2974, 2194,
          1012, 102]


def golden_vocab() -> list[str]:
    """bert-base-uncased's ids for the words of the original's test, other lines filler."""
    lines = [f"[unused{i}]" for i in range(max(GOLDEN_IDS.values()) + 1)]
    for word, ident in GOLDEN_IDS.items():
        lines[ident] = word
    return lines


def test_the_original_unit_test():
    lines = golden_vocab()
    rune = compile_tokenizer(lines, 128, 384, 2500)
    ids, mask, segments, words = run_kernel(
        rune, text_array(b"What is Google?", 128),
        text_array(b"Google LLC is an American multinational technology company.", 128))
    assert ids.shape == (1, 384)
    np.testing.assert_array_equal(ids[0], GOLDEN + [0] * (384 - 16))
    np.testing.assert_array_equal(mask[0], [1] * 16 + [0] * 368)
    np.testing.assert_array_equal(segments[0], [0] * 6 + [1] * 10 + [0] * 368)
    text = ("[CLS]\nwhat\nis\ngoogle\n?\n[SEP]\ngoogle\nllc\nis\nan\namerican\nmultinational\n"
            "technology\ncompany\n.\n[SEP]\n" + "[PAD]\n" * 368).encode()
    assert words.tobytes() == text + b"\0" * (2500 - len(text))


# --- a small vocabulary, random texts -----------------------------------------------------------

SMALL_VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able", "play",
    "##ing", "##s", "##ed", "cat", "dog", "a", "##b", "##c", "b", "c", ",", ".", "!", "?", "'",
    "[", "]", "#", "##a", "é", "##é", "caf", "über", "中", "文", "x", "##x", "##xx", "##xxx",
    "do", "##n", "##t", "-", "hello", "world", "rune", "##r", "##un", "##e", "$", "1", "##2",
    "12", "ab", "abc",
]
TEXT_BYTES, LENGTH, WORDS = 120, 24, 200
PHRASES = ["the", "The", "unaffable", "PLAYING", "plays", "cats", "dog,", "a", "abc", "abcd",
           "[SEP]", "[sep]", "x[CLS]y", "[MASK", "é", "Café", "über", "中文", "don't", "12",
           "1,2", "$1", "x" * 7, "hello!", "world.", "rune-run", "#", "##", "\x00", "\x01",
           "\x7f", "\u00ad", "\ufffd", "\u2028", "\u00a0", "\u3000", "\t", "\r\n", "zzz", "😀",
           "a\x0bb", "\u0301"]


@pytest.fixture(scope="module")
def small_rune():
    return compile_tokenizer(SMALL_VOCAB, TEXT_BYTES, LENGTH, WORDS)


@st.composite
def texts(draw):
    parts = draw(st.lists(st.sampled_from(PHRASES), max_size=24))
    glue = draw(st.lists(st.sampled_from([" ", "", "  ", "\n"]), min_size=len(parts),
                         max_size=len(parts)))
    return "".join(p + g for p, g in zip(parts, glue, strict=True)).encode()


@settings(max_examples=120, deadline=None, derandomize=True)
@given(first=texts(), second=texts())
def test_random_texts(small_rune, first, second):
    check(small_rune, SMALL_VOCAB, first, second, TEXT_BYTES, LENGTH, WORDS)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (b"", b""),                                        # the original refuses empty texts
        (b" \t\n", "\u2028".encode()),                     # blank: no tokens at all
        (b"the cat", b"dog"),
        (b"x" * 40 + b" the" * 5, b"a " * 20),             # truncation, longest first
        (b"a a a a a a a a a a", b"b b b b b b b b b b"),  # truncation, alternating
        (b"x" * 101, b"x" * 100),                          # 100 characters at most
        (b"the\0\0\0", b"the\0cat\0"),                     # trailing NULs trimmed, inner dropped
        (b"the \xff cat", b"the caf\xc3"),                 # cut at the first ill-formed byte
        (b"[SEP][CLS][UNK][MASK][PAD]", b"x[SEP]x[sep]"),  # special tokens, case-sensitive
        ("Café über 中文".encode(), "É".encode()),          # only ASCII is lower-cased
        (b"abcabc", b"aaaaa"),
    ],
)
def test_edge_cases(small_rune, first, second):
    check(small_rune, SMALL_VOCAB, first, second, TEXT_BYTES, LENGTH, WORDS)


def test_three_outputs_and_short_token_text():
    """The fourth output is optional; when given, its text is cut at its length."""
    vocab = "\n".join(SMALL_VOCAB)
    rune = compile_pipeline("tokenizers", {"vocab": vocab}, [("u8", [16]), ("u8", [16])],
                            [("i32", [8]), ("i32", [8]), ("i32", [8])])
    ids, mask, segments = run_kernel(rune, text_array(b"the cat", 16), text_array(b"dog", 16))
    expected = reference(SMALL_VOCAB, b"the cat", b"dog", 8, 0)
    for got, want in zip((ids, mask, segments), expected, strict=False):
        np.testing.assert_array_equal(got, want)
    short = compile_tokenizer(SMALL_VOCAB, 16, 8, 10)
    check(short, SMALL_VOCAB, b"the cat", b"dog", 16, 8, 10)


BASE_SIGNATURE = ([("u8", [8]), ("u8", [8])], [("i32", [4]), ("i32", [4]), ("i32", [4])])


@pytest.mark.parametrize(
    ("args", "inputs", "outputs", "message"),
    [
        ({}, *BASE_SIGNATURE, "needs argument `vocab`: the original embedded bert-base-uncased"),
        ({"vocab": "[PAD]\n[UNK]\n[CLS]\n[SEP]"}, *BASE_SIGNATURE, r"lacks the special token"),
        ({"vocab": "\n".join(SMALL_VOCAB + ["the"])}, *BASE_SIGNATURE,
         r"has 'the' twice \(lines 6 and 56\)"),
        ({"vocab": "\n".join(SMALL_VOCAB)}, [("u8", [8])], BASE_SIGNATURE[1], "takes 2 inputs"),
        ({"vocab": "\n".join(SMALL_VOCAB)}, [("u8", [8]), ("i8", [8])], BASE_SIGNATURE[1],
         r"second input is UTF-8 text as u8 bytes, not i8\[8\]"),
        ({"vocab": "\n".join(SMALL_VOCAB)}, BASE_SIGNATURE[0],
         [("i32", [4]), ("i32", [5]), ("i32", [4])], "first three outputs are i32 of one length"),
        ({"vocab": "\n".join(SMALL_VOCAB)}, BASE_SIGNATURE[0],
         [("i32", [2]), ("i32", [2]), ("i32", [2])], "sequence length of at least 3"),
        ({"vocab": "\n".join(SMALL_VOCAB)}, BASE_SIGNATURE[0],
         [*BASE_SIGNATURE[1], ("i8", [4])], r"fourth output is the tokens' text as u8"),
    ],
)
def test_bad_arguments_and_signatures_are_diagnosed(args, inputs, outputs, message):
    module = pipeline_module("tokenizers", args, inputs, outputs)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())


def test_question_answering_chain(tmp_path):
    """tokenizers' token text feeds text_extractor, as in the original's BERT Runefiles, with
    the vocabulary from a string resource."""
    (tmp_path / "vocab.txt").write_text("\n".join(SMALL_VOCAB) + "\n")
    runefile = tmp_path / "Runefile.yml"
    raw = "    capability: RAW\n    outputs:\n      - type: {}\n        dimensions: [{}]\n"
    runefile.write_text(
        "version: 1\nimage: runicos/base\npipeline:\n"
        + "".join(f"  x{i}:\n" + raw.format(t, n)
                  for i, (t, n) in enumerate([("u8", 32), ("u8", 32), ("u32", 1), ("u32", 1)]))
        + "  tokens:\n    proc-block: \"hotg-ai/proc-blocks@v0.11.3#tokenizers\"\n"
        "    inputs: [x0, x1]\n    outputs:\n"
        + "".join("      - type: i32\n        dimensions: [1, 16]\n" for _ in range(3))
        + "      - type: u8\n        dimensions: [160]\n    args:\n      vocab: $VOCAB\n"
        "  answer:\n    proc-block: \"hotg-ai/proc-blocks@v0.11.3#text_extractor\"\n"
        "    inputs: [tokens.3, x2, x3]\n    outputs:\n      - type: UTF8\n"
        "        dimensions: [1]\n"
        "  serial:\n    out: serial\n    inputs: [answer]\n"
        "resources:\n  VOCAB:\n    type: string\n    path: ./vocab.txt\n"
    )
    rune = Rune.load(compile_runefile(runefile))
    question, context = text_array(b"Who?", 32), text_array(b"The unaffable cats play.", 32)
    # 0 [CLS], 1 [UNK] (who), 2 ?, 3 [SEP], 4 the, 5 un, 6 ##aff, 7 ##able, 8 cat, 9 ##s, 10 play
    answer = run_kernel(rune, question, context, np.array([4], dtype=np.uint32),
                        np.array([10], dtype=np.uint32))
    assert answer == ["the unaffable cats play"]
