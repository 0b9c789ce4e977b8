"""Compile a Runefile the way the driver does and keep everything it reported, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rune.frontend import (
    DiagnosticEngine,
    DiagnosticError,
    Runefile,
    check_runefile,
    load_runefile,
)

PEER_SUITE = Path(__file__).resolve().parents[2].parent / "shared/peer-suite/hotg-rune"


@dataclass
class Outcome:
    """What compiling one Runefile produced: the tree (if it parsed), the failure (if any),
    and everything rendered, errors then warnings."""

    runefile: Runefile | None
    failure: DiagnosticError | None
    engine: DiagnosticEngine
    rendered: str

    @property
    def messages(self) -> list[str]:
        return [d.message for d in self.failure.diagnostics] if self.failure else []


def compile_file(path: Path) -> Outcome:
    engine = DiagnosticEngine()
    runefile = None
    try:
        runefile, _ = load_runefile(path, engine)
        check_runefile(runefile, engine)
    except DiagnosticError as failure:
        text = engine.render_all(failure.diagnostics + engine.diagnostics)
        return Outcome(runefile, failure, engine, text)
    return Outcome(runefile, None, engine, engine.render_all(engine.diagnostics))
