"""infer-quantization: quantize/dequantize next to a quantized TFLite model take scale and zero
point from the model file; then the whole pipeline runs against LiteRT."""

from __future__ import annotations

import numpy as np
import pytest
from rune.abi.models.tflite_format import read_tflite
from rune.frontend.diagnostics import DiagnosticError
from rune.ir import dialect as rd
from rune.ir.attr_values import from_attr, to_attr
from rune.passes.common import StageError
from rune.passes.infer_quantization import InferQuantizationPass
from rune.tools.compiler import CompileOptions, make_context, run_passes
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region

from tests.kernels.harness import compile_module_to_rune

PEER = "/work/shared/peer-suite/hotg-rune"
MICROSPEECH = f"{PEER}/integration-tests/run-pass/microspeech-up/model.tflite"  # i8 in and out
GESTURE = f"{PEER}/examples/gesture/model_quantized.tflite"  # f32 in and out
INPUT_SCALE, INPUT_ZERO = 0.10196078568696976, -128  # what read_tflite gives for microspeech
OUTPUT_SCALE, OUTPUT_ZERO = 0.00390625, -128


def pipeline(quantize_args: dict | None = None, dequantize_args: dict | None = None,
             model: str = MICROSPEECH, fmt: str = "tensorflow-lite",
             shapes=((1, 1960), (1, 6)), element: str = "i8"):
    """RAW f32 -> quantize -> model -> dequantize -> serial; returns (module, q, d)."""
    block = Block()
    source = rd.CapabilityOp("x0", "RAW", DictionaryAttr({}), rd.tensor_type("f32", shapes[0]))
    q = rd.ProcBlockOp("q", "quantize", _attrs(quantize_args), [source.output],
                       [rd.tensor_type(element, shapes[0])])
    m = rd.ModelOp("m", fmt, model, [q.outputs[0]], [rd.tensor_type(element, shapes[1])])
    d = rd.ProcBlockOp("d", "dequantize", _attrs(dequantize_args), [m.outputs[0]],
                       [rd.tensor_type("f32", shapes[1])])
    block.add_ops([source, q, m, d, rd.OutputOp("y", "serial", DictionaryAttr({}),
                                                [d.outputs[0]])])
    return ModuleOp([rd.PipelineOp("t", "runicos/base", Region(block))]), q, d


def _attrs(args: dict | None) -> DictionaryAttr:
    return DictionaryAttr({k: to_attr(v) for k, v in (args or {}).items()})


def infer(module: ModuleOp) -> None:
    InferQuantizationPass().apply(make_context(), module)


def args_of(stage: rd.ProcBlockOp) -> dict:
    return from_attr(stage.args)  # type: ignore[return-value]


def test_the_peer_model_is_quantized_as_assumed():
    model = read_tflite(open(MICROSPEECH, "rb").read())
    assert model.inputs[0].quantization.scale == (INPUT_SCALE,)
    assert model.inputs[0].quantization.zero_point == (INPUT_ZERO,)
    assert model.outputs[0].quantization.scale == (OUTPUT_SCALE,)


def test_arguments_are_read_from_the_model():
    module, q, d = pipeline()
    infer(module)
    assert args_of(q) == {"scale": INPUT_SCALE, "zero_point": INPUT_ZERO}
    assert args_of(d) == {"scale": OUTPUT_SCALE, "zero_point": OUTPUT_ZERO}


def test_defaults_from_the_frontend_count_as_not_given():
    """The frontend fills in defaults (scale 0.0, zero_point 0): still read from the model."""
    module, q, d = pipeline({"scale": 0.0, "zero_point": 0}, {"scale": 0.0, "zero_point": 0})
    infer(module)
    assert args_of(q)["scale"] == INPUT_SCALE and args_of(d)["zero_point"] == OUTPUT_ZERO


def test_explicit_arguments_are_kept():
    module, q, d = pipeline({"scale": 0.5, "zero_point": 3}, {"scale": "0.25"})
    infer(module)
    assert args_of(q) == {"scale": 0.5, "zero_point": 3}
    assert args_of(d) == {"scale": "0.25"}  # a Runefile string still counts as given


def test_stages_away_from_models_are_left_for_check_types():
    block = Block()
    source = rd.CapabilityOp("x0", "RAW", DictionaryAttr({}), rd.tensor_type("f32", [4]))
    q = rd.ProcBlockOp("q", "quantize", DictionaryAttr({}), [source.output],
                       [rd.tensor_type("i8", [4])])
    block.add_ops([source, q, rd.OutputOp("y", "serial", DictionaryAttr({}), [q.outputs[0]])])
    module = ModuleOp([rd.PipelineOp("t", "runicos/base", Region(block))])
    infer(module)
    assert args_of(q) == {}
    with pytest.raises(DiagnosticError, match="quantize needs `scale`"):
        run_passes(module, CompileOptions())


@pytest.mark.parametrize(
    ("kwargs", "stage", "message"),
    [
        ({"model": GESTURE, "element": "f32", "shapes": ((1, 128, 3, 1), (1, 4))}, "q",
         r"input 0 of model m \(f32\) is not quantized"),
        ({"quantize_args": {"zero_point": 5}}, "q", "give `scale` together with `zero_point`"),
        ({"dequantize_args": {"scale": "big"}}, "d", "argument `scale` must be a number"),
        ({"fmt": "onnx"}, "q", "only from a TFLite model file, and model m is onnx"),
        ({"model": "/nonexistent/model.tflite"}, "q", "cannot read model file"),
        ({"model": f"{PEER}/integration-tests/run-pass/microspeech-up/Runefile.yml"}, "q",
         "Runefile.yml is not a valid TFLite model"),
    ],
)
def test_problems_are_reported_against_the_stage(kwargs, stage, message):
    module, _, _ = pipeline(**kwargs)
    with pytest.raises(StageError, match=message) as caught:
        infer(module)
    assert caught.value.stage == stage


def test_dequantize_alone_reads_the_model_output():
    module, q, d = pipeline({"scale": 0.1, "zero_point": -128})
    infer(module)
    assert args_of(q) == {"scale": 0.1, "zero_point": -128}
    assert args_of(d) == {"scale": OUTPUT_SCALE, "zero_point": OUTPUT_ZERO}


def test_inferred_pipeline_runs_like_litert():
    """The compiled rune equals NumPy quantize -> LiteRT -> NumPy dequantize."""
    from ai_edge_litert.interpreter import Interpreter

    module, _, _ = pipeline()
    infer(module)
    rune = compile_module_to_rune(module)
    x = np.random.default_rng(0).uniform(-2.0, 28.0, (1, 1960)).astype(np.float32)
    (output,) = rune.run({"x0": x})
    quantized = np.clip(np.rint(x / np.float32(INPUT_SCALE)) + INPUT_ZERO, -128, 127)
    interpreter = Interpreter(model_path=MICROSPEECH)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                           quantized.astype(np.int8))
    interpreter.invoke()
    q = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    expected = ((q.astype(np.float64) - OUTPUT_ZERO) * OUTPUT_SCALE).astype(np.float32)
    np.testing.assert_array_equal(output.tensors[0].data, expected)
    assert abs(float(expected.sum()) - 1.0) < 0.05  # a softmax, dequantized
