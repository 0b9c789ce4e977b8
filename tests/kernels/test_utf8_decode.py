"""utf8_decode, compiled to wasm, against Python's decoder (bytes before the first NUL, cut at
the first ill-formed byte)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, kernel_module, run_kernel

N = 48


def reference(data: bytes) -> str:
    text = data.split(b"\0", 1)[0]
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:  # the original stops with an error; we keep the prefix
        return text[:exc.start].decode("utf-8")


def padded(data: bytes, size: int = N) -> np.ndarray:
    array = np.zeros(size, dtype=np.uint8)
    array[:len(data)] = np.frombuffer(data[:size], dtype=np.uint8)
    return array


@pytest.fixture(scope="module")
def rune():
    return compile_kernel("utf8_decode", {}, "u8", [N], out_element="utf8", out_shape=[1])


EDGE_CASES = [
    b"",
    b"Hi, use me to convert your u8 bytes to utf8.",  # the original's own test
    "héllo € 😀 ✓".encode(),
    b"ab\0cd",
    b"\0abc",
    b"x" * N,                       # no NUL at all: every byte
    "€".encode()[:2] + b"tail",     # a sequence cut short
    b"ok\xff",                      # a byte that never appears in UTF-8
    b"\xc0\xaf",                    # overlong
    b"\xe0\x80\xaf",                # overlong three-byte
    b"\xed\xa0\x80",                # a surrogate
    b"\xf4\x90\x80\x80",            # above U+10FFFF
    b"\xf0\x9f\x98",                # a four-byte sequence cut by the end of the buffer
    b"caf\xc3\xa9\x80",             # a stray continuation byte
    b"x" * (N - 2) + "é".encode(),  # a two-byte char in the last two bytes
    b"x" * (N - 1) + "é".encode(),  # ... cut by the buffer's end
]


@pytest.mark.parametrize("data", EDGE_CASES)
def test_edge_cases(rune, data):
    array = padded(data)
    assert run_kernel(rune, array) == [reference(array.tobytes())]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.one_of(
    st.binary(max_size=N),
    st.text(max_size=N // 4).map(lambda s: s.encode("utf-8")),
    st.lists(st.sampled_from([b"a", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\x80",
                              b"\xc3", b"\0", b"\xed\x9f\xbf", b"\xee\x80\x80"]), max_size=20)
    .map(b"".join),
))
def test_random_bytes(rune, data):
    array = padded(data)
    assert run_kernel(rune, array) == [reference(array.tobytes())]


def test_the_string_outlives_its_input():
    """The result points into the kernel's own copy, so reusing the input buffer (or running
    again) cannot change an output already handed out."""
    rune = compile_kernel("utf8_decode", {}, "u8", [2, 3], out_element="utf8", out_shape=[1, 1])
    assert run_kernel(rune, padded(b"abc\xc3\xa9", 6).reshape(2, 3)) == ["abcé"]
    assert run_kernel(rune, padded(b"z", 6).reshape(2, 3)) == ["z"]


@pytest.mark.parametrize(
    ("element", "out_element", "out_shape", "message"),
    [
        ("i8", "utf8", [1], "utf8_decode takes u8 bytes, not i8"),
        ("u8", "utf8", [2], r"output must be utf8\[1\], not utf8\[2\]"),
        ("u8", "u8", [1], r"output must be utf8\[1\], not u8\[1\]"),
    ],
)
def test_bad_signatures_are_diagnosed(element, out_element, out_shape, message):
    module = kernel_module("utf8_decode", {}, element, [4], out_element=out_element,
                           out_shape=out_shape)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
