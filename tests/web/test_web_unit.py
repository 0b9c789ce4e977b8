"""The TypeScript host's unit tests (vitest, web/test/unit): RAND, resampling, resizing, CSV and
JSON floats, each against values the Python host computes in the same run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from . import webkit


def test_vitest_unit_suite(web_built: None, scratch: Path) -> None:
    report = scratch / "vitest.json"
    proc = subprocess.run(
        ["npx", "--no-install", "vitest", "run", "--reporter=json", f"--outputFile={report}"],
        cwd=webkit.WEB, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    results = json.loads(report.read_text(encoding="utf-8"))
    failed = [t["fullName"] for f in results["testResults"] for t in f["assertionResults"]
              if t["status"] != "passed"]  # fmt: skip
    assert proc.returncode == 0 and not failed, (failed, proc.stdout[-3000:], proc.stderr[-3000:])
    assert results["numPassedTests"] >= 5
