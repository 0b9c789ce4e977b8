"""The microspeech rune on 400 synthesised clips, three ways: in this process, in two local worker
processes, and on a Ray cluster on loopback; the reports agree on everything but the timings."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from evalkit import BIN, PER_LABEL
from rune.eval import evaluate
from rune.eval.local_ray import LocalRayCluster

LABELS = ["down", "left", "right", "unknown", "up"]
STAGES = {"total", "inputs", "capability_read", "model:model", "output_write", "guest", "outputs"}


def rune_eval(*args: object, env: dict[str, str] | None = None) -> dict:
    """`rune eval ... -o FILE` as a user runs it; the JSON report."""
    out = Path(str(args[-1]))
    done = subprocess.run([BIN / "rune", "eval", *map(str, args[:-1]), "-o", out],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    return json.loads(out.read_text())


def check_report(report: dict) -> None:
    """What a report of this evaluation must say, whichever engine ran it."""
    assert report["dataset"]["examples"] == 5 * PER_LABEL
    assert report["rune"]["name"] == "microspeech" and report["rune"]["reads"] == "utf8"
    # The dataset's labels sorted, then what the rune also says ("silence").
    assert report["labels"][:5] == LABELS and set(report["labels"][5:]) <= {"silence"}
    matrix = report["confusion"]
    assert [sum(row) for row in matrix[:5]] == [PER_LABEL] * 5
    assert sum(map(sum, matrix)) == 5 * PER_LABEL
    assert report["correct"] == sum(matrix[i][i] for i in range(len(matrix)))
    assert report["accuracy"] == round(report["correct"] / 400, 6)
    # Synthetic voices are not the speakers the model learnt from, but it is far from chance.
    assert report["accuracy"] > 0.3
    assert report["misclassified_total"] == 400 - report["correct"]
    for row in report["misclassified"]:
        assert row["label"] != row["predicted"] and row["example"].startswith(row["label"] + "/")
    timing = report["timing"]
    assert set(timing["stages"]) == STAGES
    for stats in timing["stages"].values():
        assert 0 < stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    assert sum(timing["histogram"]["counts"]) == 400
    assert len(timing["slowest"]) == 10 and timing["examples_per_s"] > 0


@pytest.fixture(scope="module")
def inline(microspeech: Path, clips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    report = rune_eval(microspeech, clips, "--workers", "0",
                       tmp_path_factory.mktemp("reports") / "inline.json")  # fmt: skip
    check_report(report)
    assert report["timing"]["mode"] == "in-process" and report["timing"]["processes"] == 1
    return report


def without_timing(report: dict) -> dict:
    return {key: value for key, value in report.items() if key != "timing"}


def test_local_workers_match_in_process(inline: dict, microspeech: Path, clips: Path,
                                        tmp_path: Path) -> None:  # fmt: skip
    report = rune_eval(microspeech, clips, "--workers", "2", tmp_path / "local.json")
    check_report(report)
    assert report["timing"]["mode"] == "local" and report["timing"]["workers"] == 2
    assert without_timing(report) == without_timing(inline)


def test_ray_cluster_matches_in_process(inline: dict, microspeech: Path, clips: Path,
                                        ray_cluster: LocalRayCluster,
                                        tmp_path: Path) -> None:  # fmt: skip
    report = rune_eval(microspeech, clips, "--ray-address", ray_cluster.address,
                       tmp_path / "ray.json", env=ray_cluster.env)  # fmt: skip
    check_report(report)
    assert report["timing"]["mode"] == "ray"
    assert 1 <= report["timing"]["processes"] <= 2  # the cluster's two worker processes at most
    assert without_timing(report) == without_timing(inline)


def test_python_api_and_csv_manifest_match(inline: dict, microspeech: Path, clips: Path) -> None:
    """`rune.eval.evaluate` on the synthesiser's clips.csv: the same examples, names and
    results as the folder (in the manifest's order, so listed in another order)."""
    report = evaluate(microspeech, clips / "clips.csv", workers=0, progress=False,
                      listed=400).data  # fmt: skip
    assert report["dataset"]["format"] == "csv"
    assert report.pop("dataset")["examples"] == 400
    expected = without_timing(inline)
    expected.pop("dataset")
    listed = report.pop("misclassified")
    assert len(listed) == report["misclassified_total"]
    assert all(row in listed for row in expected.pop("misclassified"))
    assert without_timing(report) == expected
