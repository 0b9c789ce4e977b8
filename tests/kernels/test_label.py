"""label, compiled to wasm, against a plain Python reading of the original (Lines + get)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.ir import dialect as rd
from rune.ir.attr_values import to_attr
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile, run_passes
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, ModuleOp, f64
from xdsl.ir import Block, Region

from tests.kernels.harness import (
    DTYPES,
    compile_kernel,
    compile_module_to_rune,
    kernel_module,
    run_kernel,
)

MISSING = "<MISSING>"
WORDLIST = "\n\n  zero\none\r\n  two  \n\nfünf 🍋\nsix\n\t"  # 6 lines once trimmed
N = 24
INDEX_TYPES = ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32"]
RUST_WHITESPACE = {*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000}


def reference_lines(wordlist: str) -> list[str]:
    """Rust: `s.trim()`, then `lines()` (split on \\n, no empty last line, strip one \\r)."""
    chars = list(wordlist)
    while chars and ord(chars[0]) in RUST_WHITESPACE:
        chars.pop(0)
    while chars and ord(chars[-1]) in RUST_WHITESPACE:
        chars.pop()
    text = "".join(chars)
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def reference(wordlist: str, indices: np.ndarray) -> list[str]:
    lines = reference_lines(wordlist)
    out = []
    for value in indices.reshape(-1).tolist():
        whole = not isinstance(value, float) or (np.isfinite(value) and value == int(value))
        ok = whole and 0 <= value < len(lines)
        out.append(lines[int(value)] if ok else MISSING)
    return out


def test_reference_reads_the_wordlist_like_rust():
    assert reference_lines(WORDLIST) == ["zero", "one", "  two  ", "", "fünf 🍋", "six"]


@pytest.fixture(scope="module", params=INDEX_TYPES)
def typed_rune(request):
    element = request.param
    rune = compile_kernel("label", {"wordlist": WORDLIST}, element, [N], out_element="utf8")
    return element, rune


def _indices(element: str, rng: np.random.Generator) -> np.ndarray:
    if element == "f32":
        values = rng.integers(-3, 9, N).astype(np.float32)
        values[:8] = [0.0, -0.0, 5.0, 5.5, np.nan, np.inf, -np.inf, 2.0**30]
        return values
    info = np.iinfo(DTYPES[element])
    values = rng.integers(max(info.min, -3), 9, N).astype(DTYPES[element])
    values[:3] = [info.max, info.min, 0]
    return values


def test_every_index_type(typed_rune):
    element, rune = typed_rune
    rng = np.random.default_rng(sum(map(ord, element)))
    for _ in range(3):
        indices = _indices(element, rng)
        assert run_kernel(rune, indices) == reference(WORDLIST, indices)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(words=st.lists(st.text(st.characters(blacklist_categories=("Cs",),
                                            blacklist_characters="\n\r"), max_size=6),
                      min_size=0, max_size=8),
       separator=st.sampled_from(["\n", "\r\n"]),
       padding=st.sampled_from(["", " \n", "\n\t ", "\u3000"]),
       data=st.data())
def test_random_wordlists(words, separator, padding, data):
    wordlist = padding + separator.join(words) + padding
    indices = np.array(data.draw(st.lists(st.integers(-2, 10), min_size=4, max_size=4)),
                       dtype=np.int32)
    rune = compile_kernel("label", {"wordlist": wordlist}, "i32", [4], out_element="utf8")
    assert run_kernel(rune, indices) == reference(wordlist, indices)


def test_empty_wordlist_names_nothing():
    rune = compile_kernel("label", {"wordlist": " \n "}, "u32", [2], out_element="utf8")
    assert run_kernel(rune, np.array([0, 1], dtype=np.uint32)) == [MISSING, MISSING]


def test_shapes_keep_the_element_count():
    rune = compile_kernel("label", {"wordlist": "a\nb\nc"}, "u8", [2, 3], out_element="utf8",
                          out_shape=[6])
    indices = np.array([[2, 1, 0], [0, 3, 2]], dtype=np.uint8)
    assert run_kernel(rune, indices) == ["c", "b", "a", "a", MISSING, "c"]


def test_peer_microspeech_shape():
    """u32[1] -> utf8[1], as in the microspeech and resources-in-proc-block-args Runefiles."""
    wordlist = "silence\nunknown\nup\ndown\nleft\nright\n"
    rune = compile_kernel("label", {"wordlist": wordlist}, "u32", [1], out_element="utf8")
    assert [run_kernel(rune, np.array([i], dtype=np.uint32))[0] for i in range(7)] == [
        "silence", "unknown", "up", "down", "left", "right", MISSING]


@pytest.mark.parametrize("opt_level", ["0", "2"])
def test_after_an_elementwise_stage(opt_level):
    """f32 -> modulo -> label: at -O2 modulo is computed inside label's loads."""
    block = Block()
    capability = rd.CapabilityOp("x0", "RAW", DictionaryAttr({}), rd.tensor_type("f32", [6]))
    modulo = rd.ProcBlockOp("mod", "modulo", DictionaryAttr({"modulus": FloatAttr(4.0, f64)}),
                            [capability.output], [rd.tensor_type("f32", [6])])
    label = rd.ProcBlockOp("label", "label", DictionaryAttr({"wordlist": to_attr("a\nb\nc")}),
                           list(modulo.results), [rd.tensor_type("utf8", [6])])
    block.add_ops([capability, modulo, label,
                   rd.OutputOp("y", "serial", DictionaryAttr({}), list(label.results))])
    module = ModuleOp([rd.PipelineOp("fused", "runicos/base", Region(block))])
    rune = compile_module_to_rune(module, opt_level)
    values = np.array([4, 5, 6, 7, -1, 9.5], dtype=np.float32)
    assert run_kernel(rune, values) == reference("a\nb\nc", np.fmod(values, np.float32(4)))


def test_wordlist_from_a_resource(tmp_path):
    (tmp_path / "labels.txt").write_text("Wing\nRing\nSlope\nUnknown\n")
    runefile = tmp_path / "Runefile.yml"
    runefile.write_text(
        "version: 1\nimage: runicos/base\npipeline:\n"
        "  x0:\n    capability: RAW\n    outputs:\n      - type: U32\n        dimensions: [2]\n"
        "  label:\n    proc-block: \"hotg-ai/proc-blocks@v0.11.3#label\"\n    inputs: [x0]\n"
        "    outputs:\n      - type: UTF8\n        dimensions: [2]\n"
        "    args:\n      wordlist: $LABELS\n"
        "  serial:\n    out: serial\n    inputs: [label]\n"
        "resources:\n  LABELS:\n    type: string\n    path: ./labels.txt\n"
    )
    rune = Rune.load(compile_runefile(runefile))
    assert run_kernel(rune, np.array([2, 9], dtype=np.uint32)) == ["Slope", MISSING]


@pytest.mark.parametrize(
    ("element", "out_element", "out_shape", "message"),
    [
        ("f64", "utf8", [3], "label takes indices of type"),
        ("u32", "u8", [3], "its output must be utf8, not u8"),
        ("u32", "utf8", [2], r"3 indices need a utf8 output of 3 elements"),
    ],
)
def test_bad_signatures_are_diagnosed(element, out_element, out_shape, message):
    module = kernel_module("label", {"wordlist": "a"}, element, [3], out_element=out_element,
                           out_shape=out_shape)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())


def test_wordlist_is_required():
    module = kernel_module("label", {}, "u32", [1], out_element="utf8")
    with pytest.raises(DiagnosticError, match="needs argument `wordlist`"):
        run_passes(module, CompileOptions())
