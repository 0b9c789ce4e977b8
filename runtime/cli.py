"""`rune`: run, inspect, benchmark or draw a compiled `.rune`, or describe a model file.

    rune run RUNE [FILE...] [--raw|--image|--sound|--accel FILE]... [--input NAME=FILE]...
             [--seed N] [--pretty] [--hop-ms MS [--stream NAME]] [limits]
    rune bench RUNE [FILE...] [same inputs] [-n N] [--warmup N] [--json] [--public-calls]
               [--kernels]
    rune inspect RUNE [--json]
    rune graph RUNE [-o FILE] [--format dot|svg|png]
    rune model-info MODEL [--json]
    rune eval RUNE DATASET [--labels FILE] [--output NAME] [--workers N | --ray | --ray-address A]
              [-o REPORT.json] [--html REPORT.html] [--list N] [--seed N] [--no-progress]

Input files given without a flag are routed by extension, as the original's test runner did:
.png/.jpg/.jpeg -> IMAGE/FLOAT_IMAGE, .wav -> SOUND, .csv -> ACCEL, .bin -> RAW. Within a kind,
files given with a flag come first, then the others in command-line order; a capability's
`source` argument picks one by position.

A thin layer over `rune.runtime`: every failure is one `rune: error: ...` line on stderr,
exit status 1 (2 for command-line usage errors), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from rune.abi.bounded import int_text
from rune.runtime.abi import read_source
from rune.runtime.capabilities import InputValue, assign_sources, group_of
from rune.runtime.errors import RuneError
from rune.runtime.limits import MAX_SECONDS, Limits, parse_seconds, parse_size
from rune.runtime.manifest import Manifest, TensorSpec, parse_manifest
from rune.runtime.native import quiet_native_stderr as _quiet_native_stderr

PROG = "rune"
_DEFAULT_LIMITS = Limits()
#: The limit flags of `run` and `bench`: flag, the `Limits` field it sets (and its default),
#: SECONDS or SIZE, help.
_LIMIT_FLAGS = (
    ("--timeout", "deadline_s", "SECONDS", "wall-time deadline of one run (60; e.g. 2.5, 500ms)"),
    ("--max-memory", "memory_bytes", "SIZE", "cap on the rune's linear memory (1G; e.g. 64M)"),
    ("--max-model-size", "max_model_bytes", "SIZE", "largest model the rune may carry (512M)"),
    ("--max-tensor-size", "max_tensor_bytes", "SIZE", "largest tensor the rune may declare (256M)"),
)


class _UsageError(Exception):
    """A command-line mistake: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors come back to `main` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _name_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE, got {text!r}")
    return name, value


def _typed(parse: Any) -> Any:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def _positive_int(text: str) -> int:
    value = int_text(text)
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}")
    return value


def _count(text: str) -> int:
    value = int_text(text)
    if value < 0:
        raise ValueError(f"must be at least 0, got {value}")
    return value


def _seed(text: str) -> int:
    value = int_text(text, "seed")
    if not 0 <= value < 2**64:
        raise ValueError(f"a seed runs from 0 to 2**64 - 1, got {value}")
    return value


def _milliseconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_SECONDS * 1000:
        raise ValueError(f"must be a positive, finite number of milliseconds, got {text!r}")
    return value


def _inputs_parser() -> _Parser:
    """Options shared by `run` and `bench`: inputs, seed, limits."""
    common = _Parser(add_help=False)
    common.add_argument("rune", metavar="RUNE", help="the .rune file")
    common.add_argument("files", metavar="FILE", nargs="*", help="input files, routed by extension")
    for flag, group, what in (
        ("--raw", "raw", "bytes for the RAW capabilities"),
        ("--image", "image", "a PNG/JPEG for the IMAGE/FLOAT_IMAGE capabilities"),
        ("--sound", "sound", "a WAV file for the SOUND capabilities"),
        ("--accel", "accel", "an x,y,z CSV for the ACCEL capabilities"),
    ):
        common.add_argument(
            flag, metavar="FILE", action="append", default=[], dest=group,
            help=f"{what}, in manifest order (one file feeds them all; a capability's `source` "
            "argument picks a file by position)",
        )  # fmt: skip
    common.add_argument(
        "--input", metavar="NAME=FILE", action="append", default=[], type=_name_value,
        help="input file for the capability stage NAME (any kind)",
    )  # fmt: skip
    common.add_argument("--seed", type=_typed(_seed), default=0,
                        help="seed for RAND capabilities (0)")
    limits = common.add_argument_group("limits (`none` turns one off)")
    for flag, field, metavar, what in _LIMIT_FLAGS:
        limits.add_argument(
            flag, dest=field, type=_typed(parse_seconds if metavar == "SECONDS" else parse_size),
            default=getattr(_DEFAULT_LIMITS, field), metavar=metavar, help=what,
        )  # fmt: skip
    return common


def _build_parser() -> tuple[_Parser, dict[str, _Parser]]:
    """The top-level parser (help, unknown commands) and each command's own parser."""
    parser = _Parser(prog=PROG, description="Run, inspect or benchmark a compiled .rune file.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _inputs_parser()
    run = sub.add_parser("run", parents=[common], help="run a rune once and print its outputs")
    run.add_argument("--pretty", action="store_true", help="print a table instead of JSON")
    run.add_argument(
        "--tflite-kernels", choices=("default", "reference"), default="default",
        help="TFLite models the host runs use LiteRT's default kernels or its reference "
        "kernels (the arithmetic compiled models reproduce bit for bit)",
    )  # fmt: skip
    run.add_argument(
        "--hop-ms", type=_typed(_milliseconds), metavar="MS",
        help="stream: slide the SOUND window over the whole recording, MS at a time, and "
        "print one JSON line per window",
    )  # fmt: skip
    run.add_argument("--stream", metavar="NAME", help="the SOUND stage to stream into")
    bench = sub.add_parser("bench", parents=[common], help="time many runs of a rune")
    bench.add_argument("-n", "--runs", type=_typed(_positive_int), default=10_000,
                       help="timed runs (10000)")  # fmt: skip
    bench.add_argument("--warmup", type=_typed(_count), default=1_000,
                       help="untimed runs first (1000)")
    bench.add_argument("--json", action="store_true", help="print the report as JSON")
    bench.add_argument("--kernels", action="store_true",
                       help="guest time per kernel or fused group (needs `runec --profile`)")
    bench.add_argument(
        "--public-calls", action="store_true",
        help="use wasmtime's public call path instead of the unchecked one",
    )  # fmt: skip
    inspect = sub.add_parser("inspect", help="describe a rune's manifest")
    inspect.add_argument("rune", metavar="RUNE", help="the .rune file")
    inspect.add_argument("--json", action="store_true", help="print the manifest as JSON")
    graph = sub.add_parser("graph", help="draw a rune's pipeline (Graphviz)")
    graph.add_argument("rune", metavar="RUNE", help="the .rune file")
    graph.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    graph.add_argument(
        "--format", choices=("dot", "svg", "png"),
        help="dot (default), or svg/png through Graphviz's dot program; "
        "defaults to the output file's extension",
    )  # fmt: skip
    info = sub.add_parser("model-info", help="describe a .tflite or .onnx model")
    info.add_argument("model", metavar="MODEL", help="the model file")
    info.add_argument("--json", action="store_true", help="print as JSON")
    evaluate = sub.add_parser("eval", help="measure a rune on a labelled dataset (docs/eval.md)")
    evaluate.add_argument("rune", metavar="RUNE", help="the .rune file")
    evaluate.add_argument(
        "dataset", metavar="DATASET",
        help="a folder with one sub-folder per label, or a .csv/.jsonl manifest of path,label",
    )  # fmt: skip
    evaluate.add_argument("--labels", metavar="FILE",
                          help="labels, one per line, for an index or score output")  # fmt: skip
    evaluate.add_argument("--output", metavar="NAME", help="the output stage giving the label")
    evaluate.add_argument(
        "--workers", type=_typed(int_text), metavar="N",
        help="local worker processes (default: one per CPU; 0: this process)",
    )  # fmt: skip
    evaluate.add_argument("--ray", action="store_true", help="run on Ray (RAY_ADDRESS or local)")
    evaluate.add_argument("--ray-address", metavar="ADDRESS", help="run on this Ray cluster")
    evaluate.add_argument("-o", "--json", metavar="FILE", dest="json_file",
                          help="write the JSON report here instead of stdout")  # fmt: skip
    evaluate.add_argument("--html", metavar="FILE", help="also write the HTML report")
    evaluate.add_argument("--list", type=_typed(int_text), default=100, metavar="N",
                          help="misclassified examples listed in the report (100)")  # fmt: skip
    evaluate.add_argument("--seed", type=_typed(_seed), default=0,
                          help="seed for RAND capabilities (0)")
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser, {"run": run, "bench": bench, "inspect": inspect, "graph": graph,
                    "model-info": info, "eval": evaluate}  # fmt: skip


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    """Options and input files may come in any order (`rune run x.rune a.wav --seed 1 b.png`),
    which argparse allows only for a parser without subcommands: so each command parses its own
    arguments."""
    parser, commands = _build_parser()
    if argv and argv[0] in commands:
        args = commands[argv[0]].parse_intermixed_args(argv[1:])
        args.command = argv[0]
        return args
    return parser.parse_args(argv)  # help, or the error for a missing/unknown command


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(**{field: getattr(args, field) for _, field, _, _ in _LIMIT_FLAGS})


def _inputs(args: argparse.Namespace, manifest: Manifest) -> dict[str, InputValue]:
    """Capability stage name -> input, from the flags and the extension-routed files."""
    sources: dict[str, list[InputValue]] = {
        group: list(getattr(args, group)) for group in ("raw", "image", "sound", "accel")
    }
    for path in args.files:
        sources[group_of(path)].append(path)
    named: dict[str, InputValue] = dict(args.input)
    inputs = assign_sources(manifest, {g: v for g, v in sources.items() if v}, exclude=named)
    inputs.update(named)
    return inputs


def _cmd_run(args: argparse.Namespace, out: TextIO) -> None:
    from rune.runtime.host import Rune
    from rune.runtime.outputs import outputs_to_json, render_json, render_table

    with _quiet_native_stderr():
        rune = Rune.load(args.rune, seed=args.seed, limits=_limits(args),
                         handlers=_handlers(args))
    inputs = _inputs(args, rune.manifest)
    if args.hop_ms is None:
        if args.stream is not None:
            raise _UsageError("--stream needs --hop-ms")
        outputs = rune.run(inputs)
        print(render_table(outputs) if args.pretty else render_json(outputs), file=out)
        return
    stage = args.stream or next(
        (c.name for c in rune.manifest.capabilities if c.kind == "SOUND"), None
    )
    recording = inputs.pop(stage, None) if stage is not None else None
    if recording is None:
        raise RuneError("--hop-ms streams a SOUND input: give the rune a WAV file")
    results = rune.stream(recording, hop_ms=args.hop_ms, capability=stage, inputs=inputs)
    for result in results:
        if args.pretty:
            print(f"-- {result.start_ms:.1f} ms", file=out)
            print(render_table(result.outputs), file=out)
        else:
            line = {"start_ms": result.start_ms, "outputs": outputs_to_json(result.outputs)}
            print(json.dumps(line, ensure_ascii=False, allow_nan=False), file=out)


def _handlers(args: argparse.Namespace):
    """The model handlers `--tflite-kernels` asks for (None: the default registry)."""
    if args.tflite_kernels == "default":
        return None
    from rune.runtime.handlers import default_registry
    from rune.runtime.handlers.tflite import TfliteHandler

    registry = default_registry.copy()
    registry.register("tensorflow-lite", lambda m, s: TfliteHandler(m, s, reference=True),
                      replace=True)
    return registry


def _cmd_bench(args: argparse.Namespace, out: TextIO) -> None:
    from rune.runtime.bench import bench

    container = read_source(args.rune)
    manifest = parse_manifest(container.manifest)
    with _quiet_native_stderr():
        report = bench(
            container, _inputs(args, manifest), runs=args.runs, warmup=args.warmup,
            limits=_limits(args), fast_path=not args.public_calls, seed=args.seed,
            kernels=args.kernels,
        )  # fmt: skip
    print(json.dumps(report.to_json(), indent=2) if args.json else report.to_text(), file=out)


def _args(args: object) -> str:
    if not isinstance(args, dict) or not args:
        return ""
    return "  " + " ".join(f"{k}={json.dumps(v)}" for k, v in args.items())


def _tensors(tensors: Sequence[TensorSpec]) -> str:
    return ", ".join(t.describe() for t in tensors) or "-"


def describe_manifest(manifest: Manifest) -> str:
    """The `rune inspect` text: everything a user needs to feed and read a rune."""
    extra = ", ".join(
        f"{label} {value}"
        for label, value in (("image", manifest.image), ("compiler", manifest.compiler))
        if value
    )
    lines = [f"rune {manifest.name} (ABI {manifest.abi_version}{', ' + extra if extra else ''})"]
    if manifest.stages:
        lines += ["", "stages (execution order):"]
        width = max(len(s.name) for s in manifest.stages)
        for s in manifest.stages:
            what = s.kind + (f" {s.proc_block}" if s.proc_block else "")
            lines.append(
                f"  {s.name.ljust(width)}  {what}  {_tensors(s.inputs)} -> {_tensors(s.outputs)}"
                f"{_args(s.args)}"
            )
    lines += ["", "capabilities (inputs):"]
    for c in manifest.capabilities:
        t = c.tensor
        lines.append(
            f"  [{c.index}] {c.name}  {c.kind}  -> {t.describe()} ({t.nbytes} bytes){_args(c.args)}"
        )
    if not manifest.capabilities:
        lines.append("  (none)")
    lines += ["", "models:"]
    for m in manifest.models:
        lines.append(
            f"  [{m.index}] {m.name}  {m.format}  {m.blob.length} bytes  "
            f"in {_tensors(m.inputs)} -> out {_tensors(m.outputs)}"
        )
    for cm in manifest.compiled_models or ():
        lines.append(f"  {cm.name}  {cm.format}  compiled into the rune "
                     f"({cm.operators} operators of {cm.model})")
    if not manifest.models and not manifest.compiled_models:
        lines.append("  (none)")
    lines += ["", "outputs:"]
    for o in manifest.outputs:
        lines.append(f"  [{o.index}] {o.name}  {o.kind}  <- {_tensors(o.inputs)}{_args(o.args)}")
    if not manifest.outputs:
        lines.append("  (none)")
    if manifest.arena_bytes is not None:
        lines += ["", f"memory: {manifest.arena_bytes} bytes of tensor buffers"]
    return "\n".join(lines)


def _cmd_inspect(args: argparse.Namespace, out: TextIO) -> None:
    container = read_source(args.rune)
    manifest = parse_manifest(container.manifest)
    if args.json:
        print(
            json.dumps(container.manifest, indent=2, sort_keys=True, ensure_ascii=False), file=out
        )
    else:
        print(describe_manifest(manifest), file=out)


def _cmd_graph(args: argparse.Namespace, out: TextIO) -> None:
    from rune.runtime.graph import render, to_dot

    manifest = parse_manifest(read_source(args.rune).manifest)
    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
        fmt = suffix if suffix in ("svg", "png") else "dot"
    dot = to_dot(manifest)
    data = dot.encode() if fmt == "dot" else render(dot, fmt)
    if args.output:
        Path(args.output).write_bytes(data)
    elif fmt == "png":
        raise _UsageError("PNG output needs -o FILE")
    else:
        out.write(data.decode())


def _cmd_model_info(args: argparse.Namespace, out: TextIO) -> None:
    from rune.abi.models.info import format_model_info, model_info

    info = model_info(args.model)
    print(json.dumps(info, indent=2) if args.json else format_model_info(info), file=out)


def _cmd_eval(args: argparse.Namespace, out: TextIO) -> None:
    from rune.eval import evaluate

    if args.workers is not None and (args.ray or args.ray_address):
        raise _UsageError("--workers and --ray/--ray-address exclude each other")
    report = evaluate(
        args.rune, args.dataset, labels=args.labels, output=args.output, workers=args.workers,
        ray=args.ray, ray_address=args.ray_address, seed=args.seed,
        progress=False if args.no_progress else None, listed=args.list,
    )  # fmt: skip
    if args.html:
        Path(args.html).write_text(report.to_html(), encoding="utf-8")
    if args.json_file:
        Path(args.json_file).write_text(report.to_json() + "\n", encoding="utf-8")
    else:
        print(report.to_json(), file=out)


_COMMANDS = {
    "run": _cmd_run,
    "bench": _cmd_bench,
    "inspect": _cmd_inspect,
    "graph": _cmd_graph,
    "model-info": _cmd_model_info,
    "eval": _cmd_eval,
}


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rune` command; returns the exit status."""
    try:
        args = _parse(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as exc:
        print(f"{PROG}: error: {_one_line(exc)} (see '{PROG} --help')", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    try:
        _COMMANDS[args.command](args, sys.stdout)
        sys.stdout.flush()
    except _UsageError as exc:
        print(f"{PROG}: error: {_one_line(exc)} (see '{PROG} --help')", file=sys.stderr)
        return 2
    except RuneError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `rune ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"{PROG}: error: {_one_line(_os_message(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours: say so in one line, not a traceback
        print(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)}\n"
              f"{PROG}: note: this is a bug in rune; please report it with the rune",
              file=sys.stderr)
        return 70
    return 0


def _one_line(message: object) -> str:
    """A handler's (or LiteRT's) multi-line message as one `rune: error:` line."""
    return "; ".join(line.strip() for line in str(message).splitlines() if line.strip())


if __name__ == "__main__":
    sys.exit(main())
