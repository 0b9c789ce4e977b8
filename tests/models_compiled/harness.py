"""Compile a TFLite model into a rune (RAW inputs -> model -> serial output) and compare it with
LiteRT's reference kernels (BUILTIN_REF), the ground truth for compiled models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from rune.abi.models.tflite_format import read_tflite
from rune.ir import dialect as rd
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_module, run_passes
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region

PEER = Path(__file__).resolve().parents[2] / ".." / "shared" / "peer-suite" / "hotg-rune"
PEER = PEER.resolve()


def model_module(path: Path) -> ModuleOp:
    """RAW capabilities x0, x1, ... feed the model; one serial output takes all its outputs."""
    info = read_tflite(path.read_bytes())
    block = Block()
    sources = [rd.CapabilityOp(f"x{i}", "RAW", DictionaryAttr({}),
                               rd.tensor_type(t.element_type, t.shape))
               for i, t in enumerate(info.inputs)]
    block.add_ops(sources)
    model = rd.ModelOp("model", "tensorflow-lite", str(path), [s.output for s in sources],
                       [rd.tensor_type(t.element_type, t.shape) for t in info.outputs])
    block.add_ops([model, rd.OutputOp("y", "serial", DictionaryAttr({}), list(model.results))])
    return ModuleOp([rd.PipelineOp("model_test", "runicos/base", Region(block))])


def compile_model(path: Path, models: str = "compiled", target: str = "wasm32") -> bytes:
    options = CompileOptions(models=models, target=target)
    module = model_module(path)
    run_passes(module, options)
    return compile_module(module, "rune", options)


def run_rune(rune: bytes | Rune, *inputs: np.ndarray) -> list[np.ndarray]:
    loaded = rune if isinstance(rune, Rune) else Rune.load(rune)
    (output,) = loaded.run({f"x{i}": v for i, v in enumerate(inputs)})
    return [np.asarray(t.data) for t in output.tensors]


def reference(path: Path, *inputs: np.ndarray) -> list[np.ndarray]:
    """LiteRT's reference kernels, one thread."""
    interpreter = Interpreter(str(path), num_threads=1,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    for detail, value in zip(interpreter.get_input_details(), inputs, strict=True):
        interpreter.set_tensor(detail["index"], value.reshape(detail["shape"]))
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]


def random_input(path: Path, seed: int) -> list[np.ndarray]:
    """Inputs covering each input's whole range (int) or [-2, 2) (float)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in read_tflite(path.read_bytes()).inputs:
        dtype = np.dtype({"i8": np.int8, "u8": np.uint8, "f32": np.float32}[t.element_type])
        if dtype.kind == "f":
            arrays.append(rng.uniform(-2, 2, t.shape).astype(dtype))
        else:
            info = np.iinfo(dtype)
            arrays.append(rng.integers(info.min, info.max + 1, t.shape).astype(dtype))
    return arrays


def assert_same(compiled: Sequence[np.ndarray], expected: Sequence[np.ndarray],
                float_tolerance: float = 0.0) -> None:
    """Integer outputs bit for bit; float outputs within `float_tolerance` (absolute, relative
    to the largest reference magnitude)."""
    assert len(compiled) == len(expected)
    for got, want in zip(compiled, expected, strict=True):
        got = got.reshape(want.shape)
        if want.dtype.kind == "f":
            bound = float_tolerance * max(1.0, float(np.abs(want).max()))
            np.testing.assert_allclose(got, want, rtol=0, atol=bound)
        else:
            np.testing.assert_array_equal(got, want)
