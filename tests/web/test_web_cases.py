"""Every case (peer run-pass, examples, generated inputs) on the TypeScript host, in Node and in
Chromium, against the Python host's own run of the same rune and inputs in this session.

- With the Python host's model calls replayed, the JSON must be the Python host's, text for
  text: every kernel (and capability) output bit-identical, and every model input byte for byte.
- With the real model handlers (TFLite on LiteRT.js, ONNX on onnxruntime-web), integers and
  strings must be equal and floats within the bound below of the Python host's (the Python host
  runs LiteRT's and onnxruntime's native kernels; the web host their wasm builds, XNNPACK and
  MLAS, which round float sums differently). ONNX needs JSPI, so only Chromium runs it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from . import webkit

#: |ours - python| <= ATOL + RTOL * |python| for float elements of runes with models (TFLite
#: and ONNX alike).
TFLITE_ATOL, TFLITE_RTOL = 1e-5, 1e-4


def _ids() -> list[str]:
    """The case ids, known at collection (the same lists the fixtures build)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        listed = (webkit.peer_cases() + webkit.example_cases(Path(tmp))
                  + webkit.generated_cases(Path(tmp)))  # fmt: skip
    return [c.id for c in listed]


IDS = _ids()


def assert_within_bound(ours: str, python: str, label: str) -> None:
    """Same outputs, tensors, types and shapes; ints and strings equal; floats within bound."""
    a, b = json.loads(ours), json.loads(python)
    assert [(o["name"], o["kind"], len(o["tensors"])) for o in a] == [
        (o["name"], o["kind"], len(o["tensors"])) for o in b
    ], label
    for oa, ob in zip(a, b, strict=True):
        for ta, tb in zip(oa["tensors"], ob["tensors"], strict=True):
            assert (ta["element_type"], ta["dimensions"]) == (tb["element_type"], tb["dimensions"])
            if ta["element_type"] not in ("f32", "f64"):
                assert ta["elements"] == tb["elements"], label
                continue
            worst = max((abs(x - y) - TFLITE_RTOL * abs(y)
                         for x, y in zip(ta["elements"], tb["elements"], strict=True)),
                        default=0.0)  # fmt: skip
            assert math.isfinite(worst) and worst <= TFLITE_ATOL, f"{label}: off by {worst}"


def check(result: dict[str, Any], case: webkit.Case, host: str) -> None:
    if case.needs_jspi and host == "node":
        # Node 20 has no JSPI: the asynchronous ONNX handler refuses to load, and says why
        assert "needs WebAssembly JSPI" in result.get("error", ""), result
        return
    assert "error" not in result, f"{host}: {result.get('error')}"
    assert result["mismatches"] == [], f"{host}: model inputs differ: {result['mismatches']}"
    assert result["replay"] == case.expected, f"{host}: kernel outputs differ from Python's"
    if case.models:
        assert_within_bound(result["real"], case.expected, host)
    else:
        assert result["real"] == case.expected, f"{host}: outputs differ from Python's"


@pytest.mark.parametrize("case_id", IDS)
def test_node(case_id: str, cases: dict[str, webkit.Case], node_results: dict[str, Any]) -> None:
    check(node_results[case_id], cases[case_id], "node")


@pytest.mark.parametrize("case_id", IDS)
def test_chromium(case_id: str, cases: dict[str, webkit.Case],
                  browser_results: dict[str, Any]) -> None:  # fmt: skip
    results = {r["id"]: r for r in browser_results["cases"]}
    check(results[case_id], cases[case_id], "chromium")
