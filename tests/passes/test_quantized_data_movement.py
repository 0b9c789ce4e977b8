"""fold-dequantize-quantize and quantize-before-data-movement: bit-identical outputs.

One pipeline holds both patterns as in style transfer: int8 -> DEQUANTIZE -> MIRROR_PAD ->
QUANTIZE to the same scale, and f32 -> MIRROR_PAD -> QUANTIZE (plus PAD, whose padding must
become the zero point). It runs compiled with the default -O2 pipeline and without the two
passes, on every int8 value and on floats that include halves of the scale, ties, the clamp
limits, infinities and NaN.
"""

from __future__ import annotations

import numpy as np

from tests.passes.compiled_ir import compile_ir

PASSES = ("fold-dequantize-quantize", "quantize-before-data-movement")
Q1 = "#tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>"
Q2 = "#tfl.quant<[#builtin.float_data<0.003921568859368563>], [#builtin.int<-5>], #builtin.int<0>>"
PADS = "dense<[[0, 0], [1, 1], [2, 1], [0, 0]]> : tensor<4x2xi32>"
IR = f"""builtin.module {{
  rune.pipeline @p image "runicos/base" {{
    %0 = rune.capability "x" kind "RAW" args {{}} : tensor<1x16x16x1xsi8>
    %1 = "tfl.dequantize"(%0) <{{stage = "a#0", constants = [unit], quant = [{Q1}, none]}}>
      : (tensor<1x16x16x1xsi8>) -> tensor<1x16x16x1xf32>
    %2 = "tfl.mirror_pad"(%1) <{{stage = "a#1", constants = [unit, {PADS}],
      quant = [none, none, none], mode = "REFLECT"}}>
      : (tensor<1x16x16x1xf32>) -> tensor<1x18x19x1xf32>
    %3 = "tfl.quantize"(%2) <{{stage = "a#2", constants = [unit], quant = [none, {Q1}]}}>
      : (tensor<1x18x19x1xf32>) -> tensor<1x18x19x1xsi8>
    %4 = rune.capability "f" kind "RAW" args {{}} : tensor<1x16x16x1xf32>
    %5 = "tfl.mirror_pad"(%4) <{{stage = "b#0", constants = [unit, {PADS}],
      quant = [none, none, none], mode = "SYMMETRIC"}}>
      : (tensor<1x16x16x1xf32>) -> tensor<1x18x19x1xf32>
    %6 = "tfl.quantize"(%5) <{{stage = "b#1", constants = [unit], quant = [none, {Q2}]}}>
      : (tensor<1x18x19x1xf32>) -> tensor<1x18x19x1xsi8>
    %7 = "tfl.pad"(%4) <{{stage = "c#0", constants = [unit, {PADS}],
      quant = [none, none, none]}}> : (tensor<1x16x16x1xf32>) -> tensor<1x18x19x1xf32>
    %8 = "tfl.quantize"(%7) <{{stage = "c#1", constants = [unit], quant = [none, {Q2}]}}>
      : (tensor<1x18x19x1xf32>) -> tensor<1x18x19x1xsi8>
    rune.output "serial" kind "serial" args {{}}(%3, %6, %8)
      : (tensor<1x18x19x1xsi8>, tensor<1x18x19x1xsi8>, tensor<1x18x19x1xsi8>)
  }}
}}"""



def test_round_trips_fold_and_quantize_moves_first():
    _, stages = compile_ir(IR)
    assert {"a#0", "a#2"}.isdisjoint(stages)  # the round trip is gone
    assert stages.index("b#1") < stages.index("b#0")  # quantise, then pad (as integers)
    assert stages.index("c#1") < stages.index("c#0")
    _, kept = compile_ir(IR, PASSES)
    assert {"a#0", "a#2"} <= set(kept)


def test_outputs_are_bit_identical_with_and_without_the_passes():
    fused, _ = compile_ir(IR)
    plain, _ = compile_ir(IR, PASSES)
    rng = np.random.default_rng(5)
    scale = np.float32(0.003921568859368563)
    halves = ((np.arange(-140, 116, dtype=np.float32) + np.float32(0.5)) * scale)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 0.5, -0.5],
                       np.float32)
    floats = [halves, np.concatenate([special, rng.uniform(-0.6, 0.6, 247)]),
              rng.uniform(-2, 2, 256)]
    everything = np.arange(-128, 128, dtype=np.int8)
    for values in floats:
        inputs = {"x": rng.permutation(everything).reshape(1, 16, 16, 1),
                  "f": np.asarray(values, np.float32).reshape(1, 16, 16, 1)}
        got = [t.data for t in fused.run(inputs)[0].tensors]
        want = [t.data for t in plain.run(inputs)[0].tensors]
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype == np.int8
            assert np.array_equal(a, b)
