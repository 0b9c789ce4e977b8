"""TensorFlow.js models for tests/web, made here with NumPy (no converter, no download), and the
NumPy reference that the web host's tfjs handler is compared with.

A graph model is model.json (`format: graph-model`, `modelTopology` a TensorFlow GraphDef in
JSON: Placeholder, Const, MatMul, BiasAdd, Relu) plus weight shards listed by `weightsManifest`
(each Const named by a weight entry; the entries' bytes are the shards concatenated in order).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rune.runtime.handlers import ModelTensorInfo

F32 = {"type": "DT_FLOAT"}


def _shape(dims: tuple[int, ...]) -> dict[str, Any]:
    return {"dim": [{"size": str(d)} for d in dims]}


def _const(name: str, value: np.ndarray) -> dict[str, Any]:
    tensor = {"dtype": "DT_FLOAT", "tensorShape": _shape(value.shape)}
    return {"name": name, "op": "Const", "attr": {"dtype": F32, "value": {"tensor": tensor}}}


def _matmul_bias(name: str, x: str, w: str, b: str) -> list[dict[str, Any]]:
    """Nodes `name/matmul` = x @ w and `name` = BiasAdd(that, b), in NHWC as TensorFlow emits."""
    t = {"T": F32}
    return [
        {
            "name": f"{name}/matmul",
            "op": "MatMul",
            "input": [x, w],
            "attr": {**t, "transpose_a": {"b": False}, "transpose_b": {"b": False}},
        },
        {
            "name": name,
            "op": "BiasAdd",
            "input": [f"{name}/matmul", b],
            "attr": {**t, "data_format": {"s": base64.b64encode(b"NHWC").decode()}},
        },
    ]


@dataclass
class DenseGraph:
    """x[batch, n_in] -> relu(x @ w1 + b1) @ w2 + b2, in float32."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @classmethod
    def random(cls, seed: int, n_in: int = 8, hidden: int = 16, n_out: int = 3) -> DenseGraph:
        rng = np.random.default_rng(seed)
        draw = lambda *shape: rng.normal(size=shape).astype(np.float32)  # noqa: E731
        return cls(draw(n_in, hidden), draw(hidden), draw(hidden, n_out), draw(n_out))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        hidden = np.maximum(x.astype(np.float32) @ self.w1 + self.b1, np.float32(0))
        return hidden @ self.w2 + self.b2

    def write(self, folder: Path, batch: int) -> Path:
        """The graph model folder; the weights split over two shards of one group, so loading
        must concatenate them (w1's bytes straddle the shard boundary)."""
        folder.mkdir(parents=True, exist_ok=True)
        n_in = self.w1.shape[0]
        nodes = [
            {
                "name": "x",
                "op": "Placeholder",
                "attr": {"dtype": F32, "shape": {"shape": _shape((batch, n_in))}},
            },
            _const("dense/w1", self.w1),
            _const("dense/b1", self.b1),
            _const("dense/w2", self.w2),
            _const("dense/b2", self.b2),
            *_matmul_bias("dense/add1", "x", "dense/w1", "dense/b1"),
            {"name": "dense/relu", "op": "Relu", "input": ["dense/add1"], "attr": {"T": F32}},
            *_matmul_bias("y", "dense/relu", "dense/w2", "dense/b2"),
        ]
        weights = [
            ("dense/w1", self.w1),
            ("dense/b1", self.b1),
            ("dense/w2", self.w2),
            ("dense/b2", self.b2),
        ]
        data = b"".join(w.astype("<f4").tobytes() for _, w in weights)
        cut = len(data) // 3  # inside w1
        (folder / "group1-shard1of2.bin").write_bytes(data[:cut])
        (folder / "group1-shard2of2.bin").write_bytes(data[cut:])
        model = {
            "format": "graph-model",
            "generatedBy": "tests/web/tfjs_models.py",
            "convertedBy": None,
            "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1000}},
            "weightsManifest": [
                {
                    "paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"],
                    "weights": [
                        {"name": n, "shape": list(w.shape), "dtype": "float32"} for n, w in weights
                    ],
                }
            ],
        }
        (folder / "model.json").write_text(json.dumps(model), encoding="utf-8")
        return folder


def layers_dense(folder: Path) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(kernel, bias, activation) of each Dense layer of a Keras Sequential layers-model folder
    (the peer suite's sine-wave), read from its model.json and shards."""
    model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    data = b"".join((folder / p).read_bytes() for g in model["weightsManifest"] for p in g["paths"])
    arrays, at = {}, 0
    for entry in (w for g in model["weightsManifest"] for w in g["weights"]):
        count = int(np.prod(entry["shape"]))
        arrays[entry["name"]] = np.frombuffer(data, "<f4", count, at).reshape(entry["shape"])
        at += 4 * count
    layers = model["modelTopology"]["model_config"]["config"]["layers"]
    return [
        (arrays[f"{c['name']}/kernel"], arrays[f"{c['name']}/bias"], c["activation"])
        for c in (layer["config"] for layer in layers if layer["class_name"] == "Dense")
    ]


def run_layers(layers: list[tuple[np.ndarray, np.ndarray, str]], x: np.ndarray) -> np.ndarray:
    """The Sequential model's forward pass in float32."""
    for kernel, bias, activation in layers:
        x = x.astype(np.float32) @ kernel + bias
        assert activation in ("relu", "linear"), activation
        if activation == "relu":
            x = np.maximum(x, np.float32(0))
    return x


class NumpyHandler:
    """The test's reference for a `tensorflow-js` model on the Python host (which has no tfjs
    handler): one f32 input, one f32 output, computed by `forward` with NumPy."""

    def __init__(self, forward: Any, spec: Any) -> None:
        self._forward, self._spec = forward, spec
        self.inputs = [ModelTensorInfo("f32", tuple(t.dimensions), t.nbytes) for t in spec.inputs]
        self.outputs = [ModelTensorInfo("f32", tuple(t.dimensions), t.nbytes) for t in spec.outputs]
        self._x = np.zeros(spec.inputs[0].dimensions, np.float32)
        self._y = np.zeros(spec.outputs[0].dimensions, np.float32)

    def set_input(self, slot: int, data: Any) -> None:
        self._x = np.frombuffer(bytes(data), "<f4").reshape(self._spec.inputs[0].dimensions)

    def invoke(self) -> None:
        y = self._forward(self._x)
        self._y = np.ascontiguousarray(y, "<f4").reshape(self._spec.outputs[0].dimensions)

    def get_output(self, slot: int) -> np.ndarray:
        return self._y
