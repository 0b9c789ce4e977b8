"""rune.eval: a rune measured on a labelled dataset (accuracy, confusion, per-stage latency), in
this process, in local worker processes or on a Ray cluster. See docs/eval.md.

    from rune.eval import evaluate
    report = evaluate("microspeech.rune", "clips/", workers=2)
    print(report.accuracy)

Only the runtime is imported; names are loaded lazily so `rune.eval.synth` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "evaluate": "api",
    "EvalReport": "report",
    "EvalError": "errors",
    "Dataset": "dataset",
    "Example": "dataset",
    "load_dataset": "dataset",
    "read_labels": "dataset",
    "LabelReader": "labels",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
