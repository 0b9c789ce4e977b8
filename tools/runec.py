"""runec: compile a Runefile into a rune (or any intermediate stage).

A thin command line over `rune.tools.compiler`; every user error is one diagnostic and exit 1.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

# The imports below are timed: `--time-passes` reports them as "import".
import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from rune.abi.manifest import to_json_value  # noqa: E402
from rune.backend_wasm.c_header import c_header  # noqa: E402
from rune.backend_wasm.target import TARGETS  # noqa: E402
from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError  # noqa: E402
from rune.passes.plan_memory import format_report  # noqa: E402
from rune.tools.compiler import EMIT_KINDS, CompileOptions, compile_runefile  # noqa: E402
from rune.tools.pass_options import (  # noqa: E402
    add_pass_arguments,
    instrumentation_from,
    list_passes,
    timing_report,
)

_IMPORT_SECONDS = time.perf_counter() - _STARTED

BINARY_EMITS = {"obj": ".o", "wasm": ".wasm", "rune": ".rune"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runec", description="Compile a Runefile into a WebAssembly rune."
    )
    parser.add_argument("runefile", nargs="?", help="path to Runefile.yml")
    parser.add_argument("-o", "--output", help="output file ('-' for stdout)")
    parser.add_argument("--emit", choices=EMIT_KINDS, default="rune",
                        help="what to produce (default: rune)")
    parser.add_argument("-O", dest="opt_level", choices=["0", "1", "2", "3", "s"],
                        help="optimisation level: -O0 -O1 -O2 -O3 -Os "
                        "(default: the target's, -O2 for wasm32 and -Os for MCU targets)")
    parser.add_argument("--target", default="wasm32", choices=list(TARGETS),
                        help="; ".join(f"{t.name}: {t.summary}" for t in TARGETS.values()))
    add_pass_arguments(parser)
    parser.add_argument("--memory-report", action="store_true",
                        help="print the planned arena, naive sum, lower bound and every tensor's "
                        "offset, size and live range")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_passes:
        print(list_passes())
        return 0
    if args.runefile is None:
        print("runec: error: no Runefile given (see 'runec --help')", file=sys.stderr)
        return 2

    options = CompileOptions(
        opt_level=args.opt_level, passes=args.passes, target=args.target,
        instrument=instrumentation_from(args),
    )
    options.timings["import"] = _IMPORT_SECONDS
    engine = DiagnosticEngine()
    try:
        result = compile_runefile(args.runefile, args.emit, options, engine)
    except DiagnosticError as exc:
        for diagnostic in exc.diagnostics:
            engine.report(diagnostic)
        engine.emit()
        return 1
    except Exception as exc:  # a compiler bug: say so plainly instead of a traceback
        engine.emit()
        print(f"runec: internal compiler error: {type(exc).__name__}: {exc}\n"
              "runec: note: this is a bug in runec; please report it with the Runefile",
              file=sys.stderr)
        return 70
    engine.emit()
    if args.memory_report:
        if options.manifest is None:
            print("runec: error: --memory-report needs the pipeline lowered "
                  "(use --emit=llvm-dialect or later)", file=sys.stderr)
            return 1
        report = format_report(options.manifest.name, to_json_value(options.manifest.memory))
        text_to_stdout = args.output is None and args.emit not in BINARY_EMITS
        writes_stdout = args.output == "-" or text_to_stdout
        print(report, file=sys.stderr if writes_stdout else sys.stdout)
    if args.time_passes:
        print(timing_report(options.timings), file=sys.stderr)
    status = _write(result, args.output, args.emit, args.runefile)
    if status == 0 and TARGETS[args.target].native and args.emit == "obj" and options.manifest:
        header = Path(args.output or Path(args.runefile).resolve().parent.name + ".o")
        status = _write(c_header(options.manifest), str(header.with_suffix(".h")), "header",
                        args.runefile)
    return status


def _write(result: bytes | str, output: str | None, emit: str, runefile: str) -> int:
    if output is None and emit in BINARY_EMITS:
        output = Path(runefile).resolve().parent.name + BINARY_EMITS[emit]
    try:
        if output is None or output == "-":
            if isinstance(result, bytes):
                sys.stdout.buffer.write(result)
            else:
                sys.stdout.write(result if result.endswith("\n") else result + "\n")
        elif isinstance(result, bytes):
            Path(output).write_bytes(result)
        else:
            Path(output).write_text(result if result.endswith("\n") else result + "\n",
                                    encoding="utf-8")
    except OSError as exc:
        print(f"runec: error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
