"""text_extractor, compiled to wasm, against a plain Python reading of the original."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.ir.text_rules import rust_lines
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

N = 64
SIGNATURE = [("u8", [N]), ("u32", [1]), ("u32", [1])]


def reference(data: bytes, start: int, end: int) -> str:
    """The original's answer; where it would stop with an error, the empty string."""
    try:
        lines = rust_lines(data.decode("utf-8"))
    except UnicodeDecodeError:
        return ""
    if end <= start or end >= len(lines):
        return ""
    answer = ""
    for token in lines[start:end + 1]:
        if token.startswith("##"):
            answer += token[2:]
        else:
            answer += (" " if answer else "") + token
    return answer


def text_array(data: bytes, size: int = N) -> np.ndarray:
    array = np.zeros(size, dtype=np.uint8)
    array[:len(data)] = np.frombuffer(data[:size], dtype=np.uint8)
    return array


@pytest.fixture(scope="module")
def rune():
    return compile_pipeline("text_extractor", {}, SIGNATURE, [("utf8", [1])])


def extract(rune, data: bytes, start: int, end: int) -> str:
    (answer,) = run_kernel(rune, text_array(data), np.array([start], dtype=np.uint32),
                           np.array([end], dtype=np.uint32))
    return answer


def test_the_original_unit_test(rune):
    data = b"[UNK]\n[UNK]\nuna\n##ffa\n##ble\nworld\n!"
    assert extract(rune, data, 2, 4) == "unaffable"
    # The NUL padding of the fixed-size tensor belongs to the last line, as in the original.
    assert extract(rune, data, 2, 6) == "unaffable world !" + "\0" * (N - len(data))


@pytest.mark.parametrize(
    ("data", "start", "end"),
    [
        (b"a\nb\nc", 0, 2),
        (b"a\nb\nc", 1, 1),           # end == start: the original refuses
        (b"a\nb\nc", 2, 1),
        (b"a\nb\nc", 0, 3),           # past the last line
        (b"a\nb\nc", 0, 2**32 - 1),
        (b"", 0, 1),
        (b"##x\n##y\nz", 0, 2),       # a leading piece has nothing to join
        (b"a\n\n\nb", 0, 3),          # empty lines still get a space
        (b"\n\na\nb", 0, 3),          # ... but not before the first text
        (b"a\r\n##b\r\nc\r", 0, 2),   # CRLF, and a lone \r ending the text
        (b"a\n##\n#\n###", 0, 3),     # "##" alone is an empty piece; "#" is a token
        ("é\n##ü\n😀\n##\u00e9".encode(), 0, 3),
        (b"a\nb\xff\nc", 0, 2),       # not UTF-8: the original refuses
        (b"a\nb\nc\n", 0, 2),
    ],
)
def test_edge_cases(rune, data, start, end):
    # The text is NUL-padded to N bytes, as a fixed-size tensor is: the padding is text too.
    padded = text_array(data).tobytes()
    assert extract(rune, data, start, end) == reference(padded, start, end)


TOKENS = st.sampled_from(["the", "##s", "##", "#", "", "a", "über", "##é", "[SEP]", "x\r",
                          "\r", "😀", "##ing", "q"])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(tokens=st.lists(TOKENS, max_size=12), ending=st.sampled_from(["", "\n", "\r\n"]),
       separator=st.sampled_from(["\n", "\r\n"]), start=st.integers(0, 12),
       length=st.integers(-1, 12))
def test_random_token_lines(rune, tokens, ending, separator, start, length):
    data = (separator.join(tokens) + ending).encode()[:N]
    padded = text_array(data).tobytes()
    end = max(start + length, 0)
    assert extract(rune, data, start, end) == reference(padded, start, end)


def test_full_buffer_without_padding():
    """Every byte is text (no NUL padding), and only element 0 of start and end counts."""
    data = b"hello\n##world\nfoo\n##bar"
    rune = compile_pipeline("text_extractor", {}, [("u8", [len(data)]), ("u32", [2]),
                                                   ("u32", [1, 3])], [("utf8", [1])])
    start, end = np.array([0, 9], dtype=np.uint32), np.array([[3, 0, 0]], dtype=np.uint32)
    assert run_kernel(rune, text_array(data, len(data)), start, end) == ["helloworld foobar"]


@pytest.mark.parametrize(
    ("inputs", "outputs", "message"),
    [
        ([("u8", [4]), ("u32", [1])], [("utf8", [1])], "takes 3 inputs"),
        ([("i8", [4]), ("u32", [1]), ("u32", [1])], [("utf8", [1])],
         r"first input is the tokens' text as u8 bytes, one token a line, not i8\[4\]"),
        ([("u8", [4]), ("i32", [1]), ("u32", [1])], [("utf8", [1])],
         r"second input \(start index\) must be u32"),
        ([("u8", [4]), ("u32", [1]), ("u32", [1])], [("utf8", [2])],
         r"output must be utf8\[1\], not utf8\[2\]"),
    ],
)
def test_bad_signatures_are_diagnosed(inputs, outputs, message):
    module = pipeline_module("text_extractor", {}, inputs, outputs)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
