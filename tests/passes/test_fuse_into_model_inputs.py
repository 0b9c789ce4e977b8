"""fuse-elementwise-into-model-inputs changes no output and drops the producer's tensor.

The peer suite's sine pipeline (RAW -> modulo 360 -> the float sine model), models compiled,
at -O2 with and without the pass: outputs equal bit for bit on random values and at fmod's
edges (multiples of the modulus, -0, huge values, infinities, NaN), and the manifest's plan
has one tensor less, the modulo's, and a smaller naive sum. Then hand-written IR with a
type-changing chain (u8 image -> image-normalization -> affine) into a convolution, where the
arena shrinks too. (Style transfer, the peer pipeline with image-normalization, takes minutes
to compile: tests/peer's test_run_pass_compiled runs it with this pass.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.passes.registry import default_pipeline
from rune.runtime import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

PEER = Path(__file__).resolve().parents[2].parent / "shared" / "peer-suite" / "hotg-rune"
SINE = PEER / "integration-tests" / "run-pass" / "sine" / "Runefile.yml"
PASS = "fuse-elementwise-into-model-inputs"


def _rune(fused: bool) -> Rune:
    spec = default_pipeline("2", "compiled")
    assert PASS in spec.split(",")
    if not fused:
        spec = ",".join(p for p in spec.split(",") if p != PASS)
    options = CompileOptions(passes=spec, opt_level="2", models="compiled", allow_paths=(PEER,))
    return Rune.load(compile_runefile(SINE, "rune", options))


def test_sine_is_bit_for_bit_without_the_modulo_tensor():
    fused, plain = _rune(True), _rune(False)
    edges = [0.0, -0.0, 1.0, 359.99997, 360.0, -360.0, 720.0, 1e-45, -1e-45, 1e30, -1e30,
             3.4028235e38, np.inf, -np.inf, np.nan]
    values = np.concatenate([np.random.default_rng(7).uniform(-2e4, 2e4, 300),
                             edges]).astype(np.float32)
    for value in values:
        feed = {"rand": np.array([[value]], dtype=np.float32)}
        got = np.asarray(fused.run(feed)[0].tensors[0].data, dtype=np.float32)
        want = np.asarray(plain.run(feed)[0].tensors[0].data, dtype=np.float32)
        assert got.view(np.uint32).tolist() == want.view(np.uint32).tolist(), value

    names = {s.name for s in plain.manifest.stages}
    assert "mod360" in names and "mod360" not in {s.name for s in fused.manifest.stages}
    with_pass, without = fused.manifest.memory, plain.manifest.memory
    assert len(with_pass.tensors) == len(without.tensors) - 1
    assert with_pass.naive_bytes < without.naive_bytes
    assert with_pass.arena_bytes <= without.arena_bytes


IMAGE_INTO_CONV = """builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "img" kind "RAW" args {} : tensor<1x6x5x3xui8>
    %1 = rune.proc_block "norm" kernel "image-normalization" args {}(%0)
      : (tensor<1x6x5x3xui8>) -> (tensor<1x6x5x3xf32>)
    %2 = rune.proc_block "shift" kernel "affine" args {scale = -3.0 : f64, offset = 0.7 : f64}(%1)
      : (tensor<1x6x5x3xf32>) -> (tensor<1x6x5x3xf32>)
    %3 = "tfl.conv_2d"(%2) <{stage = "m#0", constants = [unit, WEIGHTS, dense<[0.25, -1.5]>
      : tensor<2xf32>], quant = [none, none, none, none], padding = "SAME", stride_w = 1 : i64,
      stride_h = 2 : i64, activation = "NONE", dilation_w = 1 : i64, dilation_h = 1 : i64}>
      : (tensor<1x6x5x3xf32>) -> tensor<1x3x5x2xf32>
    rune.output "serial" kind "serial" args {}(%3) : (tensor<1x3x5x2xf32>)
  }
}"""


def test_image_normalization_into_a_convolution_is_bit_for_bit():
    """A u8 image normalised, then scaled, read by a 3x3 SAME convolution (which loads it into
    its zero-bordered copy): the chain u8 -> f32 -> f32 is computed on those loads, with the
    same bits as the stages' own kernels, and the f32 image's arena space goes."""
    from .compiled_ir import compile_ir

    weights = np.random.default_rng(3).normal(size=(2, 3, 3, 3)).astype(np.float32)
    dense = f"dense<{weights.tolist()}> : tensor<2x3x3x3xf32>"
    text = IMAGE_INTO_CONV.replace("WEIGHTS", dense)
    fused, fused_stages = compile_ir(text)
    plain, plain_stages = compile_ir(text, (PASS,))
    # without the pass, fuse-elementwise computes norm inside shift's kernel, which stores f32
    assert "shift" in plain_stages and not {"norm", "shift"} & set(fused_stages)
    images = [np.arange(90) % 256, 255 - np.arange(90) * 3 % 256, np.zeros(90), np.full(90, 255)]
    images += list(np.random.default_rng(5).integers(0, 256, size=(20, 90)))
    for image in images:
        feed = {"img": np.asarray(image, dtype=np.uint8).reshape(1, 6, 5, 3)}
        got = np.asarray(fused.run(feed)[0].tensors[0].data, dtype=np.float32)
        want = np.asarray(plain.run(feed)[0].tensors[0].data, dtype=np.float32)
        assert got.view(np.uint32).tolist() == want.view(np.uint32).tolist()
    assert fused.manifest.memory.naive_bytes < plain.manifest.memory.naive_bytes
    assert fused.manifest.memory.arena_bytes < plain.manifest.memory.arena_bytes


QUANTIZE_INTO_INT8_LAYERS = """builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x2x5x16xf32>
    %1 = rune.proc_block "q" kernel "quantize" args {scale = 0.5 : f64, zero_point = -3 : i64}(%0)
      : (tensor<1x2x5x16xf32>) -> (tensor<1x2x5x16xsi8>)
    %2 = "tfl.LAYER"(%1) <{stage = "m#0", constants = [unit, WEIGHTS, BIAS], quant = [
      #tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-3>], #builtin.int<0>>,
      #tfl.quant<[#builtin.float_data<0.01>], [#builtin.int<0>], #builtin.int<0>>,
      #tfl.quant<[#builtin.float_data<0.005>], [#builtin.int<0>], #builtin.int<0>>,
      #tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>],
      padding = "SAME", stride_w = 1 : i64, stride_h = 1 : i64, EXTRA activation = "RELU",
      dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x2x5x16xsi8>) -> tensor<1x2x5x16xsi8>
    rune.output "serial" kind "serial" args {}(%2) : (tensor<1x2x5x16xsi8>)
  }
}"""


@pytest.mark.parametrize("layer", ["conv_2d", "depthwise_conv_2d"])
def test_a_quantize_fused_into_an_int8_layer_with_vector_kernels_is_bit_for_bit(layer: str):
    """The SIMD128 kernels of 1x1 and depthwise int8 layers load their input as vectors, which
    a fused chain (scalar code) cannot give: with a quantize fused into the layer, the layer
    takes its scalar loop (before the fix, convert-to-llvm failed on a vector load of the f32
    input), and the outputs equal the unfused rune's, whose layer is vectorised."""
    from .compiled_ir import compile_ir

    rng = np.random.default_rng(11)
    if layer == "conv_2d":
        weights, extra = rng.integers(-127, 128, size=(16, 1, 1, 16)), ""
    else:
        weights, extra = rng.integers(-127, 128, size=(1, 3, 3, 16)), "depth_multiplier = 1 : i64,"
    shape = "x".join(map(str, weights.shape))
    text = (QUANTIZE_INTO_INT8_LAYERS.replace("LAYER", layer).replace("EXTRA", extra)
            .replace("WEIGHTS", f"dense<{weights.tolist()}> : tensor<{shape}xi8>")
            .replace("BIAS", f"dense<{rng.integers(-500, 500, 16).tolist()}> : tensor<16xi32>"))
    fused, fused_stages = compile_ir(text, simd=True)
    plain, plain_stages = compile_ir(text, (PASS,), simd=True)
    assert "q" in plain_stages and "q" not in fused_stages
    for _ in range(20):
        feed = {"x": rng.uniform(-80, 80, size=(1, 2, 5, 16)).astype(np.float32)}
        got = np.asarray(fused.run(feed)[0].tensors[0].data)
        want = np.asarray(plain.run(feed)[0].tensors[0].data)
        assert got.tolist() == want.tolist()
