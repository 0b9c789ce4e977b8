"""JSON and table rendering of run results."""

from __future__ import annotations

import json

import numpy as np
from rune.runtime.host import Output, TensorValue
from rune.runtime.outputs import outputs_to_json, render_json, render_table


def test_json_shape_and_f32_shortest_decimal() -> None:
    value = np.array([[0.69727874]], dtype=np.float32)
    outs = [Output("serial", "serial", [TensorValue("f32", (1, 1), value)])]
    assert outputs_to_json(outs) == [
        {
            "name": "serial",
            "kind": "serial",
            "tensors": [{"element_type": "f32", "dimensions": [1, 1], "elements": [0.69727874]}],
        }
    ]
    # The printed decimal converts back to the very same f32.
    (element,) = json.loads(render_json(outs))[0]["tensors"][0]["elements"]
    assert np.float32(element) == value[0, 0]


def test_json_ints_f64_utf8_and_non_finite() -> None:
    outs = [
        Output(
            "out",
            "serial",
            [
                TensorValue("i64", (2,), np.array([-(2**63), 2**63 - 1], dtype=np.int64)),
                TensorValue("f64", (1,), np.array([0.1], dtype=np.float64)),
                TensorValue("utf8", (2,), ["a", "ü"]),
                TensorValue("f32", (3,), np.array([np.nan, np.inf, -np.inf], dtype=np.float32)),
            ],
        )
    ]
    tensors = json.loads(render_json(outs))[0]["tensors"]
    assert tensors[0]["elements"] == [-(2**63), 2**63 - 1]
    assert tensors[1]["elements"] == [0.1]
    assert tensors[2]["elements"] == ["a", "ü"]
    assert tensors[3]["elements"] == ["NaN", "Infinity", "-Infinity"]


def test_table() -> None:
    outs = [
        Output(
            "serial",
            "serial",
            [
                TensorValue("f32", (1, 1), np.array([[0.9612384]], dtype=np.float32)),
                TensorValue("utf8", (1,), ["up"]),
            ],
        ),
        Output("many", "serial", [TensorValue("u8", (20,), np.arange(20, dtype=np.uint8))]),
    ]
    text = render_table(outs, limit=4)
    assert text.splitlines() == [
        "serial (serial)",
        "  [0] f32[1,1]  [0.9612384]",
        '  [1] utf8[1]   ["up"]',
        "many (serial)",
        "  [0] u8[20]  [0, 1, 2, 3, ... (16 more)]",
    ]
    assert render_table([]) == "(no outputs)"
