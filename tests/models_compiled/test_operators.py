"""Per-operator differential tests: one-op models built by TensorFlow, compiled into a rune, run
as wasm, compared with LiteRT's reference kernels (int8: bit for bit; float: within 1e-5 of the
largest output magnitude, and exactly for CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the
pools, which sum in the reference's order)."""

from __future__ import annotations

import pytest
from rune.frontend.diagnostics import DiagnosticError

from .harness import assert_same, compile_model, random_input, reference, run_rune

FLOAT_BOUND = 1e-5
# Float kernels that sum in the reference's order (kernels/tfl/conv_float.py): bit for bit.
FLOAT_EXACT = {"conv", "depthwise", "fc", "maxpool", "avgpool"}
# Integer forms not compiled yet: compiling them must fail naming the operator.
FLOAT_ONLY = {"squared_difference": "SQUARED_DIFFERENCE .*: integer SQUARED_DIFFERENCE is not "
              "compiled", "rsqrt": "RSQRT .*: integer RSQRT is not compiled"}

CONV = [
    dict(h=9, w=7, cin=3, cout=4, kh=3, kw=3, stride=1, padding="SAME", dilation=1, act="NONE"),
    dict(h=10, w=10, cin=2, cout=5, kh=3, kw=2, stride=2, padding="SAME", dilation=1, act="RELU"),
    dict(h=8, w=9, cin=4, cout=3, kh=2, kw=3, stride=2, padding="VALID", dilation=1, act="RELU6"),
    dict(h=11, w=9, cin=2, cout=3, kh=3, kw=3, stride=1, padding="SAME", dilation=2, act="NONE"),
    dict(h=6, w=6, cin=8, cout=8, kh=1, kw=1, stride=1, padding="VALID", dilation=1, act="RELU"),
    # small windows (1x1 of 5 channels, dilated): the accumulator row, input channels in blocks;
    # 3x3 of 9 channels with SAME padding: patch dot products with zero-filled borders
    dict(h=7, w=6, cin=5, cout=24, kh=1, kw=1, stride=1, padding="VALID", dilation=1,
         act="RELU6"),
    dict(h=8, w=8, cin=9, cout=20, kh=3, kw=3, stride=2, padding="SAME", dilation=1, act="NONE"),
    dict(h=9, w=9, cin=3, cout=18, kh=3, kw=3, stride=1, padding="SAME", dilation=2, act="RELU"),
    # a MobileNet pointwise layer: patch dot products, no window reaching outside the input
    dict(h=5, w=4, cin=24, cout=12, kh=1, kw=1, stride=1, padding="VALID", dilation=1,
         act="RELU6"),
    # 1x1 on wasm32 (SIMD128): the pointwise GEMM, 7 input channels (padded to a pair), 25
    # pixels (a last block of 1), 32 output channels (whole blocks: requantised in registers)
    dict(h=5, w=5, cin=7, cout=32, kh=1, kw=1, stride=1, padding="SAME", dilation=1,
         act="RELU6", uniform=True),
    # one input channel, many taps: patch dot products, 6 channels (under one channel block)
    dict(h=12, w=11, cin=1, cout=6, kh=6, kw=6, stride=2, padding="SAME", dilation=1, act="RELU"),
    # one input channel, 16 output channels on wasm32: kernels/tfl/one_channel as for depthwise
    dict(h=12, w=11, cin=1, cout=16, kh=5, kw=4, stride=2, padding="SAME", dilation=1,
         act="RELU"),
    # float: an input too large for a zero-bordered copy (conv_float.BORDERED_LIMIT), so the
    # windows at the border take tap ranges
    dict(h=60, w=58, cin=5, cout=20, kh=3, kw=3, stride=2, padding="SAME", dilation=1,
         act="NONE"),
]
DEPTHWISE = [
    dict(h=9, w=8, cin=3, mult=1, kh=3, kw=3, stride=1, padding="SAME", dilation=1, act="RELU6"),
    dict(h=12, w=10, cin=1, mult=8, kh=5, kw=4, stride=2, padding="SAME", dilation=1, act="RELU"),
    dict(h=7, w=9, cin=4, mult=2, kh=3, kw=3, stride=2, padding="VALID", dilation=1, act="NONE"),
    dict(h=10, w=10, cin=2, mult=1, kh=3, kw=3, stride=1, padding="SAME", dilation=2, act="NONE"),
    dict(h=9, w=9, cin=20, mult=1, kh=3, kw=3, stride=2, padding="SAME", dilation=1, act="RELU6"),
    dict(h=7, w=7, cin=9, mult=2, kh=3, kw=3, stride=1, padding="SAME", dilation=1, act="NONE"),
    dict(h=10, w=10, cin=17, mult=1, kh=3, kw=3, stride=1, padding="SAME", dilation=2,
         act="NONE"),
    # 16 channels of one scale on wasm32 (SIMD128): interior pixels 8 channels a vector, tap
    # pairs interleaved into i32x4.dot_i16x8_s (9 taps: a last one with zero weights)
    dict(h=7, w=6, cin=16, mult=1, kh=3, kw=3, stride=1, padding="SAME", dilation=1,
         act="RELU6", uniform=True),
    dict(h=9, w=9, cin=24, mult=1, kh=3, kw=3, stride=2, padding="SAME", dilation=1,
         act="NONE", uniform=True),
    # person_detection's first layer in small: one channel, multiplier 8, 9 taps (windows
    # gathered for the GEMM on wasm32)
    dict(h=10, w=9, cin=1, mult=8, kh=3, kw=3, stride=2, padding="SAME", dilation=1,
         act="RELU6"),
    # microspeech's layer in small: one channel, depth multiplier 8, a 10x8 filter, stride 2
    dict(h=20, w=16, cin=1, mult=8, kh=10, kw=8, stride=2, padding="SAME", dilation=1,
         act="RELU"),
    # one channel, 16+ taps on wasm32 (kernels/tfl/one_channel): VALID, an odd filter width
    # (padded to even with zero weights), 5 output columns (a block of 4 and one of 1), two
    # blocks of 8 channels; stride 1, whose tap pairs straddle i32 lanes and vectors
    dict(h=15, w=13, cin=1, mult=16, kh=6, kw=5, stride=2, padding="VALID", dilation=1,
         act="NONE"),
    dict(h=9, w=11, cin=1, mult=8, kh=3, kw=6, stride=1, padding="SAME", dilation=1,
         act="RELU6"),
    dict(h=60, w=58, cin=5, mult=1, kh=3, kw=3, stride=1, padding="SAME", dilation=1,
         act="RELU6"),
]
FC = [dict(batch=1, depth=40, units=6, act="NONE"), dict(batch=3, depth=17, units=9, act="RELU"),
      dict(batch=2, depth=8, units=4, act="RELU6"), dict(batch=1, depth=300, units=5, act="NONE")]
SOFTMAX = [dict(rows=1, depth=6, input_range=8.0), dict(rows=4, depth=10, input_range=2.0),
           dict(rows=2, depth=33, input_range=30.0)]
POOL = [dict(h=8, w=8, c=3, k=2, stride=2, padding="VALID", act="NONE"),
        dict(h=9, w=7, c=2, k=3, stride=2, padding="SAME", act="RELU"),
        dict(h=6, w=6, c=4, k=6, stride=1, padding="VALID", act="NONE")]

S4 = (1, 5, 6, 3)
BINARY = [dict(shape=S4, other=S4, act="NONE"), dict(shape=S4, other=(1, 1, 1, 3), act="RELU"),
          dict(shape=S4, other=(3,), act="NONE", constant=True),
          dict(shape=(2, 7), other=(1, 7), act="RELU6"),
          dict(shape=S4, other=(1, 5, 1, 3), act="NONE", input_offset=1.0)]
UNARY = [dict(shape=S4), dict(shape=(3, 40))]
LAYOUT = ([("pad", dict(shape=S4, pads=[[0, 0], [1, 2], [2, 0], [0, 1]], mode=m))
           for m in ("CONSTANT", "REFLECT", "SYMMETRIC")]
          + [("resize", dict(shape=(1, 3, 4, 2), size=s)) for s in ([6, 8], [5, 7], [2, 3])]
          + [("concat", dict(shape=S4, other=(1, 5, 2, 3), axis=2)),
             ("concat", dict(shape=(2, 3), other=(2, 5), axis=1)),
             ("slice", dict(shape=S4, begin=[0, 1, 0, 0], end=[1, 5, 6, 2], strides=[1, 2, 3, 1])),
             ("slice", dict(shape=S4, begin=[0, 4, 0, 1], end=[1, 0, 6, 3], strides=[1, -1, 1, 1],
                            shrink=1))])
MEAN = [dict(shape=(1, 6, 5, 3), axes=[1, 2], keep=True), dict(shape=(2, 4, 3), axes=[1],
                                                                 keep=False),
        dict(shape=(1, 9, 7, 4), axes=[1, 2], keep=True, input_offset=1.5),
        dict(shape=(3, 5, 2), axes=[0, 2], keep=True, input_offset=-0.7),
        dict(shape=(1, 8, 8, 5), axes=[1, 2], keep=True, same_quantization=True)]

CASES = ([(k, p) for k in ("add", "sub", "mul") for p in BINARY]
         + [("squared_difference", BINARY[1])]
         + [(k, p) for k in ("logistic", "tanh", "relu", "relu6", "rsqrt") for p in UNARY]
         + LAYOUT + [("mean", p) for p in MEAN]
         + [("conv", p) for p in CONV] + [("depthwise", p) for p in DEPTHWISE]
         + [("fc", p) for p in FC] + [("softmax", p) for p in SOFTMAX]
         + [("maxpool", p) for p in POOL] + [("avgpool", p) for p in POOL])


def _id(case) -> str:
    kind, params = case
    return kind + "-" + "-".join(str(v) for v in params.values())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
@pytest.mark.parametrize("quantize", [True, False], ids=["int8", "float"])
def test_operator_matches_litert_reference(tf_models, case, quantize):
    kind, params = case
    path = tf_models.build(kind, quantize, **params)
    if quantize and kind in FLOAT_ONLY:
        with pytest.raises(DiagnosticError, match=FLOAT_ONLY[kind]):
            compile_model(path)
        return
    rune = compile_model(path)
    for seed in range(3):
        inputs = random_input(path, seed)
        assert_same(run_rune(rune, *inputs), reference(path, *inputs),
                    0.0 if kind in FLOAT_EXACT else FLOAT_BOUND)
