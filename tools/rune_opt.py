"""rune-opt: IR in, passes, IR out (like mlir-opt), so any stage can be captured and replayed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError
from rune.passes.registry import DESCRIPTIONS
from rune.tools.compiler import CompileOptions, parse_ir, run_passes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rune-opt", description="Run passes over rune IR.")
    parser.add_argument("input", nargs="?", help="MLIR file ('-' or none for stdin)")
    parser.add_argument("--passes", default="", help="textual pipeline, e.g. 'lower-pipeline'")
    parser.add_argument("-o", "--output", help="output file (default stdout)")
    parser.add_argument("--list-passes", action="store_true", help="list every pass and exit")
    args = parser.parse_args(argv)
    if args.list_passes:
        for name, description in DESCRIPTIONS.items():
            print(f"{name:<20} {description}")
        return 0
    engine = DiagnosticEngine()
    try:
        name = args.input or "-"
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        module = parse_ir(text, name)
        if args.passes:
            run_passes(module, CompileOptions(passes=args.passes))
        module.verify()
    except OSError as exc:
        print(f"rune-opt: error: cannot read {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except DiagnosticError as exc:
        for diagnostic in exc.diagnostics:
            engine.report(diagnostic)
        engine.emit()
        return 1
    output = str(module) + "\n"
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
