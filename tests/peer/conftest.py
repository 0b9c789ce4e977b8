"""Session fixtures of the peer-suite harness, and its summary line.

Every Runefile is compiled once per session and every distinct `rune run` happens once
(`Toolbox`, the session's `tools` fixture in tests/conftest.py, which tests/web shares). At
the end of the run, one line says how the original's suite fared:

    peer suite: N passed, M intended divergences, K failed

(intended divergences: the cases listed in divergences.toml, each checked to still fail in the
way it says; a skipped test would count as failed: this harness skips nothing).
"""

from __future__ import annotations

import pytest

DIVERGENCE_MARK = "peer_divergence"
_outcomes: dict[str, str] = {}  # test node id -> passed / divergence / failed


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{DIVERGENCE_MARK}: a peer case we deliberately treat differently "
        "(listed in tests/peer/divergences.toml)",
    )  # fmt: skip


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Only reports of tests under tests/peer reach this conftest's hook."""
    if report.failed or report.skipped:
        _outcomes[report.nodeid] = "failed"
    elif report.when == "call" and _outcomes.get(report.nodeid) != "failed":
        if report.nodeid.split("::")[-1].startswith("test_harness_"):
            return  # checks of the harness itself count only when they fail
        divergent = DIVERGENCE_MARK in report.keywords
        _outcomes[report.nodeid] = "divergence" if divergent else "passed"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if not _outcomes:
        return
    counts = {k: sum(1 for v in _outcomes.values() if v == k)
              for k in ("passed", "divergence", "failed")}  # fmt: skip
    terminalreporter.write_line(
        f"peer suite: {counts['passed']} passed, {counts['divergence']} intended divergences, "
        f"{counts['failed']} failed"
    )

