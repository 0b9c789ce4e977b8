"""`rune`: run or inspect a compiled `.rune` from the command line.

    rune run RUNE [--raw FILE]... [--input NAME=FILE]... [--seed N] [--pretty]
    rune inspect RUNE [--json]

A thin layer over `rune.runtime`: every failure is one `rune: error: ...` line on stderr,
exit status 1 (2 for command-line usage errors), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from rune.runtime.capabilities import assign_raw_sources
from rune.runtime.container import read_rune
from rune.runtime.errors import RuneError
from rune.runtime.manifest import Manifest, TensorSpec, parse_manifest

PROG = "rune"


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


def _build_parser() -> _Parser:
    parser = _Parser(prog=PROG, description="Run or inspect a compiled .rune file.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a rune once and print its outputs as JSON")
    run.add_argument("rune", metavar="RUNE", help="the .rune file")
    run.add_argument(
        "--raw",
        metavar="FILE",
        action="append",
        default=[],
        help="bytes for the RAW capabilities, in manifest order (one file feeds them all; a "
        "capability's `source` argument picks a file by position)",
    )
    run.add_argument(
        "--input",
        metavar="NAME=FILE",
        action="append",
        default=[],
        type=_name_value,
        help="input file for the capability stage NAME (any kind)",
    )
    run.add_argument("--seed", type=int, default=0, help="seed for RAND capabilities (0)")
    run.add_argument("--pretty", action="store_true", help="print a table instead of JSON")
    inspect = sub.add_parser("inspect", help="describe a rune's manifest")
    inspect.add_argument("rune", metavar="RUNE", help="the .rune file")
    inspect.add_argument("--json", action="store_true", help="print the manifest as JSON")
    return parser


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Hide file descriptor 2 while models load.

    LiteRT's C++ prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on fd 2 when
    an interpreter is built, and no setting turns it off; the CLI promises clean stderr. Python
    errors are unaffected: they are raised, and printed after fd 2 is restored.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to hide
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _cmd_run(args: argparse.Namespace, out: TextIO) -> None:
    from rune.runtime.host import Rune
    from rune.runtime.outputs import render_json, render_table

    with _quiet_native_stderr():
        rune = Rune.load(args.rune, seed=args.seed)
    named = dict(args.input)
    inputs: dict[str, object] = dict(assign_raw_sources(rune.manifest, args.raw, exclude=named))
    inputs.update(named)
    outputs = rune.run(inputs)  # type: ignore[arg-type]
    print(render_table(outputs) if args.pretty else render_json(outputs), file=out)


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
    if not manifest.models:
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
    container = read_rune(Path(args.rune).read_bytes())
    manifest = parse_manifest(container.manifest)
    if args.json:
        print(
            json.dumps(container.manifest, indent=2, sort_keys=True, ensure_ascii=False), file=out
        )
    else:
        print(describe_manifest(manifest), file=out)


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rune` command; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"{PROG}: error: {exc} (see '{PROG} --help')", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    try:
        if args.command == "run":
            _cmd_run(args, sys.stdout)
        else:
            _cmd_inspect(args, sys.stdout)
    except RuneError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {_os_message(exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
