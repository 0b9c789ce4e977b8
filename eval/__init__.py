"""rune.eval: a rune measured on a labelled dataset (accuracy, confusion, per-stage latency), in
this process, in local worker processes or on a Ray cluster. See docs/eval.md.

    from rune.eval import evaluate
    report = evaluate("microspeech.rune", "clips/", workers=2)
    print(report.accuracy)
"""

from __future__ import annotations

from .api import evaluate
from .dataset import Dataset, Example, load_dataset, read_labels
from .errors import EvalError
from .labels import LabelReader
from .report import EvalReport

__all__ = ["Dataset", "EvalError", "EvalReport", "Example", "LabelReader", "evaluate",
           "load_dataset", "read_labels"]  # fmt: skip
