"""rune-opt: IR in, passes, IR out (like mlir-opt), so any stage can be captured and replayed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError
from rune.tools.compiler import CompileOptions, parse_ir, run_passes
from rune.tools.pass_options import (
    add_pass_arguments,
    instrumentation_from,
    list_passes,
    timing_report,
)
from xdsl.utils.exceptions import VerifyException


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rune-opt", description="Run passes over rune IR.")
    parser.add_argument("input", nargs="?", help="MLIR file ('-' or none for stdin)")
    parser.add_argument("-o", "--output", help="output file (default stdout)")
    add_pass_arguments(parser)
    args = parser.parse_args(argv)
    if args.list_passes:
        print(list_passes())
        return 0
    engine = DiagnosticEngine()
    try:
        name = args.input or "-"
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        module = parse_ir(text, name)
        options = CompileOptions(passes=args.passes or "", instrument=instrumentation_from(args))
        if args.passes:
            run_passes(module, options)
        module.verify()
        if args.time_passes:
            print(timing_report(options.timings), file=sys.stderr)
    except OSError as exc:
        print(f"rune-opt: error: cannot read {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except VerifyException as exc:
        print(f"rune-opt: error: the IR after the passes does not verify: {exc}", file=sys.stderr)
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
