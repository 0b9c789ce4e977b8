"""One build, run by a worker as `python -m rune.forge.server.build_job` in its own process,
inside the upload folder, under the worker's memory and time limits.

Prints one JSON object on stdout: `{"ok": bool, "diagnostics": [...], "log": str}`; the rune is
written to `--out`. Paths in diagnostics are relative to the upload folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from rune.frontend.diagnostics import Diagnostic, DiagnosticEngine, DiagnosticError
from rune.tools.compiler import CompileOptions, compile_runefile


def _relative(file: str, root: Path) -> str:
    try:
        return str(Path(file).resolve().relative_to(root))
    except (ValueError, OSError):
        return file


def diagnostic_json(diagnostic: Diagnostic, root: Path) -> dict[str, Any]:
    span = diagnostic.span
    location = None
    if span is not None:
        location = {"file": _relative(span.file, root), "line": span.line, "column": span.column,
                    "end_line": span.end_line, "end_column": span.end_column}
    return {"severity": diagnostic.severity.name.lower(), "message": diagnostic.message,
            "location": location, "notes": [n.message for n in diagnostic.notes]}


def build(root: Path, runefile: str, out: Path, allow_custom_blocks: bool) -> dict[str, Any]:
    engine = DiagnosticEngine()
    diagnostics: list[Diagnostic] = []
    ok = False
    try:
        # Confined to the upload folder; custom blocks only from inside it, and only if the
        # project's admin allowed them.
        options = CompileOptions(root=root, allow_custom_blocks=None if allow_custom_blocks
                                 else False)
        result = compile_runefile(root / runefile, "rune", options, engine)
        assert isinstance(result, bytes)
        out.write_bytes(result)
        ok = True
    except DiagnosticError as exc:
        diagnostics.extend(exc.diagnostics)
    diagnostics = list(engine.diagnostics) + diagnostics
    return {"ok": ok, "diagnostics": [diagnostic_json(d, root) for d in diagnostics],
            "log": engine.render_all(diagnostics)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forge-build")
    parser.add_argument("--runefile", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--allow-custom-blocks", action="store_true")
    args = parser.parse_args(argv)
    root = Path(os.getcwd()).resolve()
    try:
        report = build(root, args.runefile, args.out, args.allow_custom_blocks)
    except Exception as exc:  # a compiler bug: reported as the build's failure, not a crash
        report = {"ok": False, "diagnostics": [{
            "severity": "error", "message": f"internal compiler error: {type(exc).__name__}: "
            f"{exc}", "location": None, "notes": ["this is a bug in runec"]}], "log": ""}
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
