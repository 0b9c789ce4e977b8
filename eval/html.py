"""The report as one self-contained HTML page: tables, a confusion-matrix heat map and a latency
histogram drawn by matplotlib and inlined as base64 PNGs, CSS inline; nothing is fetched.

Every string from the dataset or the rune (labels, file names) is escaped.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from .errors import EvalError

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.big { font-size: 2.2em; font-weight: 600; }
.figs img { max-width: 49%; vertical-align: top; }
"""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise EvalError(
            "the HTML report needs matplotlib: pip install 'rune-runtime[eval]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    figure.clf()
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def confusion_png(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """A heat map of the confusion matrix (rows: true label; columns: predicted), counts in
    each cell."""
    plt = _pyplot()
    size = max(4.0, 0.6 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size * 0.85))
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true label")
    top = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            axes.text(j, i, str(count), ha="center", va="center",
                      color="white" if count > top / 2 else "black", fontsize=9)  # fmt: skip
    figure.colorbar(image, ax=axes, fraction=0.046)
    axes.set_title("confusion matrix")
    data = _png(figure)
    plt.close(figure)
    return data


def latency_png(histogram: dict[str, list[float]]) -> str:
    """The per-example total latency histogram (log-spaced bins)."""
    plt = _pyplot()
    edges, counts = histogram["edges_us"], histogram["counts"]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.stairs(counts, edges, fill=True, color="#4c72b0")
    axes.set_xscale("log")
    axes.set_xlabel("latency per example (µs, whole run)")
    axes.set_ylabel("examples")
    axes.set_title("latency")
    data = _png(figure)
    plt.close(figure)
    return data


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def render_html(report: dict[str, Any]) -> str:
    """The page for one report (the `EvalReport.data` dict)."""
    labels, matrix, timing = report["labels"], report["confusion"], report["timing"]
    rune, dataset = report["rune"], report["dataset"]
    per_class = _table(
        ("label", "precision", "recall", "F1", "support", "predicted"),
        ((c["label"], _pct(c["precision"]), _pct(c["recall"]), f'{c["f1"]:.3f}', c["support"],
          c["predicted"]) for c in report["per_class"]),
    )  # fmt: skip
    rows = zip(labels, matrix, strict=True)
    confusion = _table(("true \\ predicted", *labels), ((label, *row) for label, row in rows))
    stages = _table(
        ("stage", "p50 µs", "p90 µs", "p99 µs", "max µs", "mean µs"),
        ((name, s["p50"], s["p90"], s["p99"], s["max"], s["mean"])
         for name, s in timing["stages"].items()),
    )  # fmt: skip
    slowest = _table(("example", "label", "µs"),
                     ((s["example"], s["label"], s["us"]) for s in timing["slowest"]))  # fmt: skip
    wrong = report["misclassified"]
    listed = (f"first {len(wrong)} of {report['misclassified_total']}"
              if len(wrong) < report["misclassified_total"] else str(len(wrong)))  # fmt: skip
    misclassified = _table(("example", "label", "predicted"),
                           ((m["example"], m["label"], m["predicted"]) for m in wrong))  # fmt: skip
    speed = timing.get("examples_per_s")
    workers = f", {timing['workers']} workers" if timing.get("workers") else ""
    title = f"rune eval: {rune['name']} on {dataset['source']}"
    heat_map, histogram = confusion_png(labels, matrix), latency_png(timing["histogram"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<p><span class="big">{_pct(report["accuracy"])}</span> accuracy:
{report["correct"]} of {dataset["examples"]} examples ({escape(dataset["format"])})</p>
<p>rune <code>{escape(rune["name"])}</code> (sha256 {escape(rune["sha256"][:16])}…), label from
output <code>{escape(rune["output"])}</code> ({escape(rune["reads"])});
run {escape(timing["mode"])}{escape(workers)} in {timing["wall_s"]} s
({speed if speed is not None else "-"} examples/s)</p>
<div class="figs"><img alt="confusion matrix" src="data:image/png;base64,{heat_map}">
<img alt="latency histogram" src="data:image/png;base64,{histogram}"></div>
<h2>Per class</h2>{per_class}
<h2>Confusion matrix (rows: true label)</h2>{confusion}
<h2>Latency per stage</h2>{stages}
<h2>Slowest examples</h2>{slowest}
<h2>Misclassified ({listed})</h2>{misclassified}
</body></html>
"""
