"""Render run results as JSON (for tools and tests) or as a readable table (`--pretty`)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .results import Output, TensorValue


def _float(value: float, dtype: np.dtype) -> float | str:
    """A JSON number for one float element.

    f32 values use their shortest round-trip decimal (0.69727874, not 0.6972787380218506), which
    converts back to the same f32. Non-finite values, which JSON lacks, become strings.
    """
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if dtype.itemsize == 4:
        return float(str(np.float32(value)))
    return float(value)


def tensor_elements(tensor: TensorValue) -> list[Any]:
    """The elements, flat in row-major order, as plain Python values."""
    if isinstance(tensor.data, list):
        return list(tensor.data)
    flat = tensor.data.reshape(-1)
    if flat.dtype.kind == "f":
        return [_float(v, flat.dtype) for v in flat.tolist()]
    return flat.tolist()


def outputs_to_json(outputs: Sequence[Output]) -> list[dict[str, Any]]:
    """JSON-ready form: one object per output stage."""
    return [
        {
            "name": out.name,
            "kind": out.kind,
            "tensors": [
                {
                    "element_type": t.element_type,
                    "dimensions": list(t.dimensions),
                    "elements": tensor_elements(t),
                }
                for t in out.tensors
            ],
        }
        for out in outputs
    ]


def render_json(outputs: Sequence[Output]) -> str:
    """One line of strict JSON."""
    return json.dumps(outputs_to_json(outputs), ensure_ascii=False, allow_nan=False)


def _format_elements(tensor: TensorValue, limit: int) -> str:
    elements = tensor_elements(tensor)
    if tensor.element_type == "utf8":
        shown = [json.dumps(s, ensure_ascii=False) for s in elements[:limit]]
    elif tensor.element_type.startswith("f"):
        shown = [f"{v:.7g}" if isinstance(v, float) else str(v) for v in elements[:limit]]
    else:
        shown = [str(v) for v in elements[:limit]]
    more = f", ... ({len(elements) - limit} more)" if len(elements) > limit else ""
    return "[" + ", ".join(shown) + more + "]"


def render_table(outputs: Sequence[Output], *, limit: int = 16) -> str:
    """A human-readable listing, one block per output stage, at most `limit` elements each."""
    if not outputs:
        return "(no outputs)"
    lines = []
    for out in outputs:
        lines.append(f"{out.name} ({out.kind})")
        rows = [
            (f"  [{slot}]", f"{t.element_type}[{','.join(map(str, t.dimensions))}]", t)
            for slot, t in enumerate(out.tensors)
        ]
        width = max((len(r[1]) for r in rows), default=0)
        for label, shape, tensor in rows:
            lines.append(f"{label} {shape.ljust(width)}  {_format_elements(tensor, limit)}")
    return "\n".join(lines)
