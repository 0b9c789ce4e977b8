"""ONNX models on onnxruntime through the handler registry, checked before they load."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from rune.abi.models.errors import ModelFormatError
from rune.abi.models.onnx_format import read_onnx
from rune.runtime.errors import ModelError
from rune.runtime.host import Rune
from runekit import model_rune


def affine_model(batch: int | str = 1) -> bytes:
    """y = x * 2 + 1 on f32[batch, 4], plus a Relu so the graph has two kinds of node."""
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [4], [2.0] * 4)
    bias = helper.make_tensor("bias", TensorProto.FLOAT, [4], [1.0, 1.0, 1.0, -100.0])
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["x", "scale"], ["scaled"]),
            helper.make_node("Add", ["scaled", "bias"], ["shifted"]),
            helper.make_node("Relu", ["shifted"], ["y"]),
        ],
        "affine",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4])],
        initializer=[scale, bias],
    )
    model = helper.make_model(graph, producer_name="rune-tests",
                              opset_imports=[helper.make_opsetid("", 13)])  # fmt: skip
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


@pytest.mark.parametrize("batch", [1, "batch"])
def test_onnx_model_runs_in_a_rune(batch: int | str) -> None:
    rune = Rune.load(model_rune("onnx", affine_model(batch), "f32", [1, 4], [1, 4]))
    x = np.array([[0.5, -3.0, 10.0, 7.0]], np.float32)
    for _ in range(2):
        (out,) = rune.run({"input": x})
        assert out.value.tolist() == [[2.0, 0.0, 21.0, 0.0]]


def test_onnx_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ModelError) as info:
        Rune.load(model_rune("onnx", affine_model(), "f32", [1, 8], [1, 4]))
    assert "declares f32[1,8] (32 bytes) but the model has f32[1,4] (16 bytes)" in str(info.value)


def test_truncated_onnx_is_refused_before_onnxruntime_sees_it() -> None:
    data = affine_model()
    with pytest.raises(
        ModelError, match='model "net" is not a valid ONNX model: not an ONNX model'
    ):
        Rune.load(model_rune("onnx", data[: len(data) // 2], "f32", [1, 4], [1, 4]))


def test_invalid_graph_is_refused_by_the_checker() -> None:
    model = onnx.load_model_from_string(affine_model())
    model.graph.node[0].input[1] = "nowhere"
    with pytest.raises(ModelFormatError, match="the ONNX checker rejects the model"):
        read_onnx(model.SerializeToString())


def test_read_onnx_summary() -> None:
    info = read_onnx(affine_model("n"))
    assert (info.ir_version, info.opsets, info.producer) == (8, {"ai.onnx": 13}, "rune-tests")
    assert [(t.name, t.dtype, t.shape) for t in info.inputs] == [("x", "float32", ("n", 4))]
    assert info.operators == {"Mul": 1, "Add": 1, "Relu": 1}


def test_model_info_on_onnx(capsys, tmp_path) -> None:
    from rune.runtime.cli import main

    path = tmp_path / "affine.onnx"
    path.write_bytes(affine_model("batch"))
    assert main(["model-info", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "onnx model (IR 8, opsets ai.onnx 13, producer rune-tests)"
    assert "  [0] x  float32[batch,4]" in out and "  [0] y  float32[batch,4]" in out
    assert "  Mul x1" in out
