"""The evaluation report: accuracy, per-class precision and recall, the confusion matrix, the
misclassified examples, and (under "timing", the only part that differs between two runs of the
same evaluation) per-stage latency percentiles, throughput and the slowest examples.

Built from integer counts in dataset order, so every engine gives the same report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dataset import Dataset
from .worker import Result

PERCENTILES = (50, 90, 99)
#: How many of the slowest examples the report lists.
SLOWEST = 10
FORMAT = "rune-eval/1"


@dataclass(frozen=True)
class EvalReport:
    """A finished evaluation; `data` is its JSON form."""

    data: dict[str, Any]

    @property
    def accuracy(self) -> float:
        return float(self.data["accuracy"])

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.data, indent=indent, ensure_ascii=False, allow_nan=False)

    def without_timing(self) -> dict[str, Any]:
        """Everything but the timings: equal for every run of the same evaluation."""
        return {key: value for key, value in self.data.items() if key != "timing"}

    def to_html(self) -> str:
        from .html import render_html

        return render_html(self.data)


def _ratio(num: int, den: int) -> float:
    return round(num / den, 6) if den else 0.0


def _stats(nanoseconds: Sequence[int]) -> dict[str, float]:
    us = np.asarray(nanoseconds, dtype=np.float64) / 1000.0
    p50, p90, p99 = np.percentile(us, PERCENTILES)
    return {"p50": round(float(p50), 2), "p90": round(float(p90), 2),
            "p99": round(float(p99), 2), "max": round(float(us.max()), 2),
            "mean": round(float(us.mean()), 2)}  # fmt: skip


def _histogram(nanoseconds: Sequence[int], bins: int = 30) -> dict[str, list[float]]:
    """Per-example total latency in log-spaced bins (latencies have long tails)."""
    us = np.asarray(nanoseconds, dtype=np.float64) / 1000.0
    low, high = max(float(us.min()), 1e-3), max(float(us.max()), 1e-3)
    edges = np.geomspace(low, high * 1.0001, bins + 1) if high > low else np.array([low, low + 1])
    counts, _ = np.histogram(np.clip(us, edges[0], edges[-1]), edges)
    return {"edges_us": [round(float(e), 2) for e in edges], "counts": counts.tolist()}


def label_order(
    dataset: Dataset, labels: Sequence[str] | None, predicted: Sequence[str]
) -> list[str]:
    """Rows and columns of the confusion matrix: --labels in its order (else the dataset's
    labels, sorted), then any other predicted label, sorted."""
    order = list(labels) if labels is not None else dataset.labels
    return order + sorted(set(predicted) - set(order))


def build_report(
    *,
    rune: dict[str, Any],
    dataset: Dataset,
    labels: Sequence[str] | None,
    results: Sequence[Result],
    stage_order: Sequence[str],
    timing: dict[str, Any],
    listed: int,
) -> EvalReport:
    """The report of `results` (one per example, in dataset order)."""
    examples = dataset.examples
    predicted = [r.predicted or "" for r in results]
    order = label_order(dataset, labels, predicted)
    position = {label: i for i, label in enumerate(order)}
    matrix = np.zeros((len(order), len(order)), dtype=np.int64)
    for example, guess in zip(examples, predicted, strict=True):
        matrix[position[example.label], position[guess]] += 1
    correct = int(np.trace(matrix))
    per_class = []
    for i, label in enumerate(order):
        hits, support, guessed = int(matrix[i, i]), int(matrix[i].sum()), int(matrix[:, i].sum())
        precision, recall = _ratio(hits, guessed), _ratio(hits, support)
        f1 = round(2 * precision * recall / (precision + recall), 6) if hits else 0.0
        per_class.append({"label": label, "precision": precision, "recall": recall, "f1": f1,
                          "support": support, "predicted": guessed})  # fmt: skip
    wrong = [
        {"example": e.name, "label": e.label, "predicted": guess}
        for e, guess in zip(examples, predicted, strict=True)
        if guess != e.label
    ]
    totals = [r.stages["total"] for r in results]
    stages = {"total": _stats(totals)}
    for name in stage_order:
        samples = [r.stages[name] for r in results if name in r.stages]
        if samples:
            stages[name] = _stats(samples)
    slowest = sorted(range(len(results)), key=lambda i: totals[i], reverse=True)[:SLOWEST]
    data = {
        "format": FORMAT,
        "rune": rune,
        "dataset": {"source": dataset.source, "format": dataset.format,
                    "examples": len(examples)},  # fmt: skip
        "labels": order,
        "accuracy": _ratio(correct, len(examples)),
        "correct": correct,
        "per_class": per_class,
        "confusion": matrix.tolist(),
        "misclassified_total": len(wrong),
        "misclassified": wrong[:listed],
        "timing": {
            **timing,
            "processes": len({r.worker for r in results}),
            "examples_per_s": round(len(examples) / timing["wall_s"], 2)
            if timing["wall_s"] > 0 else None,
            "unit": "us",
            "stages": stages,
            "histogram": _histogram(totals),
            "slowest": [{"example": examples[i].name, "label": examples[i].label,
                         "us": round(totals[i] / 1000.0, 2)} for i in slowest],  # fmt: skip
        },
    }
    return EvalReport(data)
