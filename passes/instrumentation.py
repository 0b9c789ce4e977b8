"""Running a pass pipeline the way mlir-opt does: IR dumps around chosen passes, per-pass
timing, verification after each pass, and a reproducer file when a pass fails."""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rune.passes.registry import parse_pipeline
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


class PassFailure(Exception):
    """A pass crashed or left invalid IR; names the pass and where the reproducer went."""

    def __init__(self, pass_name: str, cause: Exception) -> None:
        super().__init__(pass_name, cause)
        self.pass_name, self.cause = pass_name, cause
        self.reproducer: Path | None = None

    def __str__(self) -> str:
        where = f"; reproducer written to {self.reproducer}" if self.reproducer else ""
        return f"pass `{self.pass_name}` failed: {type(self.cause).__name__}: {self.cause}{where}"


@dataclass
class Instrumentation:
    """What to do around each pass. Pass names are matched without their options."""

    print_before: frozenset[str] = frozenset()
    print_after: frozenset[str] = frozenset()
    print_after_all: bool = False
    verify_each: bool = False
    reproducer: Path | None = None  # None: a fresh file in the temp directory
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    timings: dict[str, float] = field(default_factory=dict)
    # Errors that are the user's, not the pass's: re-raised untouched, no reproducer.
    user_errors: tuple[type[Exception], ...] = ()

    def dump(self, when: str, pass_name: str, module: ModuleOp) -> None:
        print(f"// -----// IR Dump {when} {pass_name} //----- //\n{module!s}\n", file=self.stream)


def run_pipeline(module: ModuleOp, spec: str, context: Context,
                 instrument: Instrumentation) -> None:
    """Apply `spec` to `module` in place.

    One copy of the input is kept; if pass i fails, passes 0..i-1 are replayed on that copy to
    recover the IR the failing pass saw (passes are deterministic), which costs nothing on the
    common path where no pass fails."""
    passes = parse_pipeline(spec).passes
    initial = module.clone()
    for index, current in enumerate(passes):
        try:
            _run_one(module, current, context, instrument)
        except PassFailure as failure:
            before = initial
            for earlier in passes[:index]:
                earlier.apply(context, before)
            failure.reproducer = _write_reproducer(before, spec, index, current.name,
                                                   instrument.reproducer)
            raise


def _run_one(module: ModuleOp, current: ModulePass, context: Context,
             instrument: Instrumentation) -> None:
    name = current.name
    if name in instrument.print_before:
        instrument.dump("Before", name, module)
    start = time.perf_counter()
    try:
        current.apply(context, module)
        if instrument.verify_each:
            module.verify()
    except instrument.user_errors:
        raise
    except Exception as exc:  # a crash, or invalid IR left by the pass
        raise PassFailure(name, exc) from exc
    finally:
        instrument.timings[name] = instrument.timings.get(name, 0.0) + (
            time.perf_counter() - start)
    if instrument.print_after_all or name in instrument.print_after:
        instrument.dump("After", name, module)


def _write_reproducer(module: ModuleOp, spec: str, index: int, name: str,
                      path: Path | None) -> Path | None:
    """The IR before the failing pass, with the pipeline to replay, as a rune-opt input."""
    remaining = ",".join(spec_parts(spec)[index:])
    text = (f"// Reproducer: pass `{name}` failed on this IR.\n"
            f"// Replay: rune-opt THIS_FILE --passes='{remaining}'\n"
            f"// Full pipeline: {spec}\n{module!s}\n")
    try:
        if path is None:
            handle = tempfile.NamedTemporaryFile(
                "w", prefix=f"rune-reproducer-{name}-", suffix=".mlir", delete=False)
            with handle:
                handle.write(text)
            return Path(handle.name)
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None


def spec_parts(spec: str) -> list[str]:
    """Split a textual pipeline at top-level commas (options in braces may hold commas)."""
    parts, depth, current = [], 0, ""
    for char in spec:
        depth += char == "{"
        depth -= char == "}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts

