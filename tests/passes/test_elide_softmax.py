"""elide-softmax-before-argmax: the top-1 label is bit-identical with and without the softmax.

Each case compiles `RAW i8[1, D] -> tfl.softmax -> most_confident_indices{count = 1}` to wasm
twice, with the default -O2 pipeline (which runs the pass) and without the pass, and runs both
on every row built from values at and just below the row maximum (where quantisation could
make ties), plus random rows.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from rune.passes.elide_softmax import strictly_ordered_at_top
from rune.runtime import Rune

from tests.passes.compiled_ir import compile_ir

MICROSPEECH_SCALE = 0.06522341072559357  # the peer suite's microspeech model, softmax input


def _ir(scale: float, zero: int, depth: int) -> str:
    quant = (f"[#tfl.quant<[#builtin.float_data<{scale!r}>], [#builtin.int<{zero}>], "
             "#builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.00390625>], "
             "[#builtin.int<-128>], #builtin.int<0>>]")
    row = f"tensor<1x{depth}xsi8>"
    return f"""builtin.module {{
  rune.pipeline @p image "runicos/base" {{
    %0 = rune.capability "x" kind "RAW" args {{}} : {row}
    %1 = "tfl.softmax"(%0) <{{stage = "m#0", constants = [unit], quant = {quant},
      beta = 1.000000e+00 : f32}}> : ({row}) -> {row}
    %2 = rune.proc_block "top" kernel "most_confident_indices" args {{count = 1 : i64}}(%1)
      : ({row}) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {{}}(%2) : (tensor<1xui32>)
  }}
}}"""


def _compile(text: str, elide: bool) -> tuple[Rune, list[str]]:
    return compile_ir(text, () if elide else ("elide-softmax-before-argmax",))


def _top(rune: Rune, row: np.ndarray) -> int:
    (output,) = rune.run({"x": row.reshape(1, -1).astype(np.int8)})
    return int(output.tensors[0].data[0])


def _near_ties(depth: int) -> list[np.ndarray]:
    rows = []
    for top in (127, 40, -100):
        levels = (top, top - 1, top - 2, -128)
        rows += [np.array(r) for r in itertools.product(levels, repeat=depth) if top in r]
    rng = np.random.default_rng(11)
    rows += list(rng.integers(-128, 128, size=(500, depth)))
    return rows


def test_microspeech_softmax_is_proven_and_elided():
    assert strictly_ordered_at_top(float(np.float32(MICROSPEECH_SCALE)), 1.0, 6)
    text = _ir(MICROSPEECH_SCALE, 65, 6)
    elided, stages = _compile(text, elide=True)
    kept, kept_stages = _compile(text, elide=False)
    assert "m#0" not in stages and "m#0" in kept_stages
    rows = _near_ties(6)
    assert len(rows) > 5000
    mismatches = [r for r in rows if _top(elided, r) != _top(kept, r)]
    assert mismatches == []


def test_a_small_input_scale_is_not_provable_and_ties_are_real():
    """With scale 0.001, logits 10 and 9 quantise to the same softmax output: the top-1 of the
    softmax is the first of them, not the logits' maximum. The pass must leave it alone."""
    scale = 0.001
    assert not strictly_ordered_at_top(scale, 1.0, 6)
    rune, stages = _compile(_ir(scale, 0, 6), elide=True)
    assert "m#0" in stages
    row = np.array([9, 10, 0, 0, 0, 0])
    assert _top(rune, row) == 0  # a tie after quantisation, broken by index
    assert int(np.argmax(row)) == 1


@pytest.mark.parametrize(("depth", "expected"), [(6, True), (10, True), (16, True), (17, False),
                                                 (100, False)])
def test_the_proof_depends_on_the_number_of_labels(depth, expected):
    # 256 * (1 - exp(-0.0652)) = 16.2: up to 16 labels stay strictly ordered at the top.
    assert strictly_ordered_at_top(float(np.float32(MICROSPEECH_SCALE)), 1.0, depth) is expected
