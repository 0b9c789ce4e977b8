"""runec: compile a Runefile into a rune (or any intermediate stage).

A thin command line over `rune.tools.compiler`; every user error is one diagnostic and exit 1.
Start-up imports only the frontend: a compile that the on-disk cache (`compile_cache`) answers
never loads xDSL, LLVM or the kernel library.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

# The imports below are timed: `--time-passes` reports them as "import".
import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from rune.backend_wasm.target import TARGETS, resolve_target  # noqa: E402
from rune.frontend import confine  # noqa: E402
from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError  # noqa: E402
from rune.frontend.semantics import RUN_MODES  # noqa: E402
from rune.tools import cache_eviction, compile_cache, deferred_imports  # noqa: E402
from rune.tools.pass_options import (  # noqa: E402
    EMIT_KINDS,
    add_pass_arguments,
    instrumentation_from,
    list_passes,
    timing_report,
    wants_instrumentation,
)

_IMPORT_SECONDS = time.perf_counter() - _STARTED

if TYPE_CHECKING:
    from rune.abi.manifest import Manifest
    from rune.frontend.ast import Runefile

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
    parser.add_argument("--models", choices=RUN_MODES,
                        help="run models compiled into the rune or through the host's handler, "
                        "unless a model's `run` argument says otherwise (default: the "
                        "target's: handler for wasm32, compiled for MCU targets)")
    add_pass_arguments(parser)
    parser.add_argument("--profile", action="store_true",
                        help="instrument every kernel with stage probes (insert-stage-probes) "
                        "for `rune bench --kernels`")
    parser.add_argument("--precision", choices=("exact", "relaxed"), default="exact",
                        help="relaxed: f32 instead of f64 and polynomial log2 in kernels with a "
                        "precision policy (fft, noise_filtering); docs/proc-blocks.md")
    confinement = parser.add_argument_group(
        "confinement", "which files a Runefile may make runec read (docs/runtime.md, "
        "'Running untrusted runes')")
    confinement.add_argument("--root", metavar="DIR", type=Path,
                             help="read models, resources and data only under DIR "
                             "(default: the Runefile's folder)")
    confinement.add_argument("--allow-path", metavar="DIR", type=Path, action="append",
                             default=[], help="also read files under DIR (repeatable)")
    custom = confinement.add_mutually_exclusive_group()
    custom.add_argument("--allow-custom-blocks", dest="custom_blocks", action="store_true",
                        default=None, help="load custom Python proc blocks from anywhere "
                        "(they run code at compile time; default: only from inside the root)")
    custom.add_argument("--no-custom-blocks", dest="custom_blocks", action="store_false",
                        help="refuse every custom Python proc block (for compiling Runefiles "
                        "you do not trust)")
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

    timings = {"import": _IMPORT_SECONDS}
    engine = DiagnosticEngine()
    try:
        result, manifest = _compile(args, engine, timings)
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
        from rune.abi.manifest import to_json_value
        from rune.passes.plan_memory import format_report

        if manifest is None:
            print("runec: error: --memory-report needs the pipeline lowered "
                  "(use --emit=llvm-dialect or later)", file=sys.stderr)
            return 1
        report = format_report(to_json_value(manifest))
        text_to_stdout = args.output is None and args.emit not in BINARY_EMITS
        writes_stdout = args.output == "-" or text_to_stdout
        print(report, file=sys.stderr if writes_stdout else sys.stdout)
    if args.time_passes:
        print(timing_report(timings), file=sys.stderr)
    status = _write(result, args.output, args.emit, args.runefile)
    if status == 0 and TARGETS[args.target].native and args.emit == "obj" and manifest:
        from rune.backend_wasm.c_header import c_header

        header = Path(args.output or Path(args.runefile).resolve().parent.name + ".o")
        status = _write(c_header(manifest), str(header.with_suffix(".h")), "header",
                        args.runefile)
    return status


def _compile(args: argparse.Namespace, engine: DiagnosticEngine,
             timings: dict[str, float]) -> tuple[bytes | str, Manifest | None]:
    """The output and the manifest (once lowered): from the compile cache when the request
    allows it (no IR dumps or checks asked for) and it has an intact entry, else compiled.
    Both read the Runefile's files only inside its confinement (frontend/confine.py)."""
    confinement = confine.Confinement.for_runefile(
        args.runefile, args.root, tuple(args.allow_path), args.custom_blocks)
    with confine.confined(confinement):
        return _compile_confined(args, engine, timings)


def _compile_confined(args: argparse.Namespace, engine: DiagnosticEngine,
                      timings: dict[str, float]) -> tuple[bytes | str, Manifest | None]:
    request = compile_cache.Request(args.emit, args.target, args.opt_level, args.passes,
                                    args.profile, args.precision, args.models)
    cache_dir = None if wants_instrumentation(args) else compile_cache.default_cache_dir()
    key = code_key = runefile = None
    if cache_dir is not None and args.emit in compile_cache.CACHED_EMITS:
        from rune.frontend.parser import load_runefile
        from rune.frontend.semantics import check_runefile

        start = time.perf_counter()
        runefile, source = load_runefile(args.runefile, engine)
        check_runefile(runefile, engine)
        key = compile_cache.cache_key(runefile, source.text.encode(), request)
        entry = compile_cache.load(cache_dir, key)
        timings["compile cache"] = time.perf_counter() - start
        if entry is not None:
            return entry.output, entry.manifest
        code_key, code = _from_code_cache(cache_dir, runefile, request, timings)
        if code is not None:
            compile_cache.store(cache_dir, key, compile_cache.Entry(*code))
            cache_eviction.evict(cache_dir)
            return code

    start = time.perf_counter()
    deferred_imports.defer("numpy")  # imported only if a kernel is built or a model read
    from rune.tools.compiler import CompileOptions, compile_runefile

    timings["import (compiler)"] = time.perf_counter() - start
    options = CompileOptions(
        opt_level=args.opt_level, passes=args.passes, target=args.target, models=args.models,
        profile=args.profile,
        precision=args.precision, instrument=instrumentation_from(args), timings=timings,
        root=args.root, allow_paths=tuple(args.allow_path), allow_custom_blocks=args.custom_blocks,
        kernel_cache=compile_cache.default_cache_dir(),
    )
    result = compile_runefile(args.runefile, args.emit, options, engine, runefile)
    if key is not None and not engine.diagnostics and isinstance(result, bytes):
        compile_cache.store(cache_dir, key, compile_cache.Entry(result, options.manifest))
        if options.code is not None and options.code.data:
            from rune.tools import code_cache

            code_cache.store(cache_dir, code_key, code_cache.Entry(
                options.code.obj, [(d.symbol, d.stage, d.kernel) for d in options.code.data],
                options.code.manifest))
    cache_eviction.evict(options.kernel_cache)  # this compile may have added entries
    return result, options.manifest


def _from_code_cache(cache_dir: Path, runefile: Runefile, request: compile_cache.Request,
                     timings: dict[str, float]
                     ) -> tuple[str | None, tuple[bytes, Manifest] | None]:
    """This compile's code-cache key (kept for storing after a miss: it hashes the named files
    again) and the output and manifest from a pipeline object compiled for a Runefile that
    differed from this one only in data arguments (tools/code_cache.py), if the cache holds one."""
    from rune.tools import code_cache  # here: a whole-output hit does without it

    start = time.perf_counter()
    key = code_cache.code_key(runefile, request)
    entry = code_cache.load(cache_dir, key)
    timings["code cache"] = time.perf_counter() - start
    if entry is None:
        return key, None
    try:
        target = resolve_target(request.target, request.opt_level)
    except ValueError:
        return key, None  # the compiler reports the level
    return key, code_cache.complete(entry, runefile, request.emit, target, timings)


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
