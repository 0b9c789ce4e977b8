"""parse, compiled to wasm, against a plain Python reading of Rust's `split_whitespace` and
`str::parse` (integers exactly; floats correctly rounded from the exact decimal value).

Strings reach parse the way they do in a rune: RAW bytes through utf8_decode (one string), or
RAW indices through label (several strings).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.ir import dialect as rd
from rune.ir.attr_values import to_attr
from rune.tools.compiler import CompileOptions, run_passes
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region

from tests.kernels.harness import DTYPES, compile_module_to_rune, run_kernel

TEXT_BYTES, WORDS = 600, 12
NUMBER_TYPES = ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64"]
RUST_WHITESPACE = {*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
INTEGER = re.compile(r"[+-]?[0-9]+")
FLOAT = re.compile(r"[+-]?(inf|infinity|nan|([0-9]+(\.[0-9]*)?|\.[0-9]+)(e[+-]?[0-9]+)?)",
                   re.IGNORECASE)
F32_MAX = Fraction(float(np.finfo(np.float32).max))


# --- the reference ------------------------------------------------------------------------------

def words_of(strings: list[str]) -> list[str]:
    words = []
    for s in strings:
        current = ""
        for ch in s.split("\0", 1)[0]:
            if ord(ch) in RUST_WHITESPACE:
                if current:
                    words.append(current)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def nearest_f32(value: Fraction) -> np.float32:
    """The f32 nearest an exact value, ties to even (what Rust's f32 parser returns)."""
    magnitude = abs(value)
    if magnitude >= F32_MAX + Fraction(2) ** 103:
        result = np.float32(np.inf)
    else:
        guess = np.float32(float(magnitude))
        with np.errstate(over="ignore"):
            candidates = {np.nextafter(guess, np.float32(0)), guess,
                          np.nextafter(guess, np.float32(np.inf))}
        finite = [c for c in candidates if np.isfinite(c)]
        result = min(finite, key=lambda c: (abs(Fraction(float(c)) - magnitude),
                                            int(np.array(c).view(np.uint32)) & 1))
    return np.float32(-result) if value < 0 else np.float32(result)


def parse_word(word: str, element: str):
    """Rust's parse of one word, or None where Rust reports an error."""
    if element in ("f32", "f64"):
        if not FLOAT.fullmatch(word):
            return None
        body = word.lstrip("+-").lower()
        negative = word.startswith("-")
        if body in ("inf", "infinity", "nan"):
            value = math.inf if body != "nan" else math.nan
            return -value if negative else value
        exact = Fraction(word)
        if element == "f64":
            value = float(word)
        else:
            value = float(nearest_f32(exact))
        return -0.0 if negative and exact == 0 else value
    if element[0] == "u" and word.startswith("-"):
        return None
    if not INTEGER.fullmatch(word):
        return None
    info = np.iinfo(DTYPES[element])
    value = int(word)
    return value if info.min <= value <= info.max else None


def reference(strings: list[str], element: str, count: int) -> np.ndarray:
    """Parsed words in order; an error is 0 (NaN for floats); missing words are 0."""
    dtype = DTYPES[element]
    failed = np.nan if element in ("f32", "f64") else 0
    values = [parse_word(w, element) for w in words_of(strings)][:count]
    out = np.zeros(count, dtype=dtype)
    out[:len(values)] = [failed if v is None else v for v in values]
    return out


def assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    got, expected = got.reshape(-1), expected.reshape(-1)
    if got.dtype.kind == "f":
        both_nan = np.isnan(got) & np.isnan(expected)
        bits = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}[got.dtype]
        mismatch = ~both_nan & (got.view(bits) != expected.view(bits))
        assert not mismatch.any(), (got[mismatch], expected[mismatch])
    else:
        np.testing.assert_array_equal(got, expected)


# --- pipelines ----------------------------------------------------------------------------------

def two_stage(first: str, first_args: dict, source: tuple, middle: tuple, element: str,
              count: int):
    """RAW source -> first (giving utf8) -> parse -> serial."""
    block = Block()
    capability = rd.CapabilityOp("x0", "RAW", DictionaryAttr({}), rd.tensor_type(*source))
    producer = rd.ProcBlockOp("strings", first,
                              DictionaryAttr({k: to_attr(v) for k, v in first_args.items()}),
                              [capability.output], [rd.tensor_type(*middle)])
    parse = rd.ProcBlockOp("parse", "parse", DictionaryAttr({}), list(producer.results),
                           [rd.tensor_type(element, [count])])
    block.add_ops([capability, producer, parse,
                   rd.OutputOp("y", "serial", DictionaryAttr({}), list(parse.results))])
    return ModuleOp([rd.PipelineOp("parse_test", "runicos/base", Region(block))])


def text_bytes(text: str) -> np.ndarray:
    data = text.encode("utf-8")[:TEXT_BYTES]
    array = np.zeros(TEXT_BYTES, dtype=np.uint8)
    array[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    return array


@cache
def text_rune(element: str):
    """RAW u8[TEXT_BYTES] -> utf8_decode -> parse -> element[WORDS], compiled once."""
    module = two_stage("utf8_decode", {}, ("u8", [TEXT_BYTES]), ("utf8", [1]), element, WORDS)
    return compile_module_to_rune(module)


@pytest.fixture(scope="module", params=NUMBER_TYPES)
def from_text(request):
    return request.param, text_rune(request.param)


def parse_text(rune, text: str) -> np.ndarray:
    return run_kernel(rune, text_bytes(text))


# --- tests --------------------------------------------------------------------------------------

SHARED_CASES = [
    "",
    "5\n6\n7",                         # the original's own tests
    "5\n6\n7\0 8 9",                   # a NUL ends the string
    "  1\t\t2 \r\n 3\x0b4\x0c5  ",     # every ASCII whitespace
    "1\u00a02\u20033\u30004\u20285\x856",  # Unicode whitespace
    "+7 -7 +-7 - + 07 -0 +0 1a a1 1.0",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14",  # more words than outputs
]
LIMITS = {
    "u8": "255 256 -1", "i8": "127 128 -128 -129", "u16": "65535 65536",
    "i16": "32767 -32768 32768 -32769", "u32": "4294967295 4294967296",
    "i32": "2147483647 -2147483648 2147483648", "u64": "18446744073709551615 "
    "18446744073709551616 99999999999999999999", "i64": "9223372036854775807 "
    "-9223372036854775808 9223372036854775808 -9223372036854775809",
    "f32": "3.4028235e38 3.4028236e38 1e39 1.4e-45 7e-46 1e-50 -0 -0.0 0e999",
    "f64": "1.7976931348623157e308 1.8e308 5e-324 2e-324 1e-400 -0.0 0e-999999",
}
FLOAT_SYNTAX = ("1. .5 . 1e 1e+ e5 .e1 1.e3 +.5e-1 1E5 1e+05 INF -Infinity NaN +nan infinit "
                "infinityy 0x10 1_0 1,5 ∞")


@pytest.mark.parametrize("text", SHARED_CASES)
def test_words_and_integers(from_text, text):
    element, rune = from_text
    assert_same(parse_text(rune, text), reference([text], element, WORDS))


def test_limits(from_text):
    element, rune = from_text
    text = LIMITS[element]
    assert_same(parse_text(rune, text), reference([text], element, WORDS))


def test_float_syntax(from_text):
    element, rune = from_text
    assert_same(parse_text(rune, FLOAT_SYNTAX), reference([FLOAT_SYNTAX], element, WORDS))


def _decimal(draw, digits: int, low: int, high: int) -> str:
    mantissa = draw(st.integers(0, 10**digits - 1))
    point = draw(st.integers(0, digits))
    text = str(mantissa).rjust(point + 1, "0")
    if point:
        text = text[:-point] + "." + text[-point:]
    sign = draw(st.sampled_from(["", "-", "+"]))
    return f"{sign}{text}e{draw(st.integers(low, high))}"


@st.composite
def decimals(draw, max_digits: int, low: int, high: int, count: int = WORDS):
    return " ".join(_decimal(draw, draw(st.integers(1, max_digits)), low, high)
                    for _ in range(count))


@pytest.fixture(scope="module")
def f32_rune():
    return text_rune("f32")


@pytest.fixture(scope="module")
def f64_rune():
    return text_rune("f64")


@settings(max_examples=50, deadline=None, derandomize=True)
@given(decimals(9, -52, 38))
def test_f32_short_decimals_are_correctly_rounded(f32_rune, text):
    assert_same(parse_text(f32_rune, text), reference([text], "f32", WORDS))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(decimals(19, -70, 45))
def test_f32_long_decimals_are_correctly_rounded(f32_rune, text):
    assert_same(parse_text(f32_rune, text), reference([text], "f32", WORDS))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(decimals(19, -345, 310))
def test_f64_is_correctly_rounded(f64_rune, text):
    assert_same(parse_text(f64_rune, text), reference([text], "f64", WORDS))


HARD_CASES = {
    "f64": "9007199254740993 9007199254740995 2.2250738585072011e-308 4.9406564584124654e-324 "
           "2.4703282292062327e-324 2.4703282292062328e-324 1.7976931348623158e308 "
           "1.7976931348623159e308 0.1 1e-342 1e-343 7.2057594037927933e16",
    "f32": "16777217 16777219 1.17549435e-38 1.4e-45 7.0064923e-46 7.0064924e-46 "
           "3.40282357e38 3.4028236e38 0.1 1e-46 8.589973e9 33554433",
}


@pytest.mark.parametrize("element", ["f32", "f64"])
def test_halfway_and_boundary_cases(f32_rune, f64_rune, element):
    rune = f32_rune if element == "f32" else f64_rune
    text = HARD_CASES[element]
    assert_same(parse_text(rune, text), reference([text], element, WORDS))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(decimals(40, -330, 290, count=6))
def test_more_than_19_digits_within_one_ulp(f64_rune, text):
    """Digits past the 19th decide the rounding only within 1e-19 of a boundary; there Rust
    uses big-number arithmetic and this kernel an f64 product (docs/proc-blocks.md)."""
    got = parse_text(f64_rune, text)[:6]
    expected = reference([text], "f64", WORDS)[:6]
    ulps = np.abs(got.view(np.int64) - expected.view(np.int64))
    assert ulps.max() <= 1, (text, got, expected)


def test_several_strings_from_label():
    """A utf8[4] tensor: words continue from one string to the next."""
    wordlist = "10 20\n\n-3\n4 5 6\n7\x008"
    module = two_stage("label", {"wordlist": wordlist}, ("u32", [4]), ("utf8", [4]), "i16", 8)
    rune = compile_module_to_rune(module)
    indices = np.array([0, 3, 1, 2], dtype=np.uint32)
    strings = [wordlist.split("\n")[i] for i in indices]
    assert_same(run_kernel(rune, indices), reference(strings, "i16", 8))
    indices = np.array([4, 9, 2, 0], dtype=np.uint32)  # out of range: "<MISSING>" is an error
    strings = [wordlist.split("\n")[4], "<MISSING>", "-3", "10 20"]
    assert_same(run_kernel(rune, indices), reference(strings, "i16", 8))


@pytest.mark.parametrize(
    ("middle", "element", "message"),
    [
        (("u8", [4]), "i32", "parse reads utf8 strings, not u8"),
        (("utf8", [1]), "utf8", "parse gives numbers of type"),
    ],
)
def test_bad_signatures_are_diagnosed(middle, element, message):
    block = Block()
    capability = rd.CapabilityOp("x0", "RAW", DictionaryAttr({}), rd.tensor_type(*middle))
    parse = rd.ProcBlockOp("parse", "parse", DictionaryAttr({}), [capability.output],
                           [rd.tensor_type(element, [2])])
    block.add_ops([capability, parse,
                   rd.OutputOp("y", "serial", DictionaryAttr({}), list(parse.results))])
    module = ModuleOp([rd.PipelineOp("bad", "runicos/base", Region(block))])
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
