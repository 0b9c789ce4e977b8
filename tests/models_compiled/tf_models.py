"""Build one-operator TFLite models with TensorFlow (float, or full-integer int8 from a
representative dataset), each once per session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ACTIVATIONS = ("NONE", "RELU", "RELU6")


class ModelFactory:
    """`build(kind, **params)` -> path of a .tflite file; TensorFlow is imported on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def build(self, kind: str, quantize: bool = True, **params) -> Path:
        key = json.dumps([kind, quantize, sorted(params.items())])
        name = f"{kind}-{abs(hash(key)) % 10**12}.tflite"
        path = self.directory / name
        if not path.exists():
            path.write_bytes(_convert(kind, quantize, params))
        return path


def _activation(tf, value, activation: str):
    if activation == "RELU":
        return tf.nn.relu(value)
    if activation == "RELU6":
        return tf.nn.relu6(value)
    return value


def _weights(rng, shape: tuple, p: dict, taps: int):
    """Normal weights; with p["uniform"], every output channel's (each column after the
    first `taps` axes) largest |w| is 1, so that int8 per-channel quantisation gives all
    channels one scale (uniform requantisation shifts: the kernels' vector requantisation)."""
    w = rng.normal(0, 0.5, shape)
    if p.get("uniform"):
        w = w / np.abs(w).reshape(int(np.prod(shape[:taps])), -1).max(axis=0).reshape(
            shape[taps:])
    return w


def _graph(tf, kind: str, p: dict, rng):
    """(function, input shape or list of input shapes) for one operator."""
    if kind in ("add", "sub", "mul", "squared_difference"):
        op = {"add": tf.add, "sub": tf.subtract, "mul": tf.multiply,
              "squared_difference": tf.math.squared_difference}[kind]
        if p.get("constant"):
            c = tf.constant(rng.normal(0, 1, p["other"]), tf.float32)
            return (lambda x: _activation(tf, op(x, c), p["act"])), p["shape"]
        return (lambda x, y: _activation(tf, op(x, y), p["act"])), [p["shape"], p["other"]]
    if kind == "cos":  # an operator compiled models do not have
        return tf.cos, p["shape"]
    if kind == "mean":
        if p.get("same_quantization"):  # relu6 before and after: both tensors span [0, 6]
            return (lambda x: tf.nn.relu6(tf.reduce_mean(tf.nn.relu6(x * 3.0), p["axes"],
                                                         keepdims=p["keep"]))), p["shape"]
        return (lambda x: tf.reduce_mean(x, p["axes"], keepdims=p["keep"])), p["shape"]
    if kind in ("logistic", "tanh", "relu", "relu6", "rsqrt"):
        fn = {"logistic": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu,
              "relu6": tf.nn.relu6, "rsqrt": lambda x: tf.math.rsqrt(x * x + 0.5)}[kind]
        return fn, p["shape"]
    if kind == "pad":
        mode = p["mode"]
        return (lambda x: tf.pad(x, p["pads"], mode=mode)), p["shape"]
    if kind == "resize":
        return (lambda x: tf.image.resize(x, p["size"], method="nearest")), p["shape"]
    if kind == "concat":
        return (lambda x, y: tf.concat([x, y], p["axis"])), [p["shape"], p["other"]]
    if kind == "slice":
        return (lambda x: tf.strided_slice(x, p["begin"], p["end"], p["strides"],
                                           shrink_axis_mask=p.get("shrink", 0))), p["shape"]
    if kind == "conv":
        w = tf.constant(_weights(rng, (p["kh"], p["kw"], p["cin"], p["cout"]), p, 3), tf.float32)
        b = tf.constant(rng.normal(0, 0.2, (p["cout"],)), tf.float32)

        def f(x):
            y = tf.nn.conv2d(x, w, p["stride"], p["padding"], dilations=p["dilation"])
            return _activation(tf, y + b, p["act"])
        return f, (1, p["h"], p["w"], p["cin"])
    if kind == "depthwise":
        w = tf.constant(_weights(rng, (p["kh"], p["kw"], p["cin"], p["mult"]), p, 2), tf.float32)
        b = tf.constant(rng.normal(0, 0.2, (p["cin"] * p["mult"],)), tf.float32)

        def f(x):
            y = tf.nn.depthwise_conv2d(x, w, [1, p["stride"], p["stride"], 1], p["padding"],
                                       dilations=[p["dilation"], p["dilation"]])
            return _activation(tf, y + b, p["act"])
        return f, (1, p["h"], p["w"], p["cin"])
    if kind == "fc":
        w = tf.constant(rng.normal(0, 0.5, (p["depth"], p["units"])), tf.float32)
        b = tf.constant(rng.normal(0, 0.2, (p["units"],)), tf.float32)
        return (lambda x: _activation(tf, tf.matmul(x, w) + b, p["act"])), (p["batch"],
                                                                           p["depth"])
    if kind == "softmax":
        return tf.nn.softmax, (p["rows"], p["depth"])
    if kind in ("maxpool", "avgpool"):
        pool = tf.nn.max_pool2d if kind == "maxpool" else tf.nn.avg_pool2d

        def f(x):
            return _activation(tf, pool(x, p["k"], p["stride"], p["padding"]), p["act"])
        return f, (1, p["h"], p["w"], p["c"])
    raise ValueError(kind)


def _convert(kind: str, quantize: bool, params: dict) -> bytes:
    import tensorflow as tf

    rng = np.random.default_rng(params.get("seed", 0))
    fn, shape = _graph(tf, kind, params, rng)
    shapes = shape if isinstance(shape, list) else [shape]
    function = tf.function(fn, input_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], function)
    if quantize:
        scale = params.get("input_range", 2.0)
        offset = params.get("input_offset", 0.0)  # an asymmetric range: non-zero zero points

        def representative():
            for _ in range(32):
                yield [rng.uniform(offset - scale, offset + scale, s).astype(np.float32)
                       for s in shapes]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()
