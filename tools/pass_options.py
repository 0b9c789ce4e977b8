"""The pass-pipeline flags `runec` and `rune-opt` share, and the reports they print.

Importing this is cheap (runec's start-up): the pass registry loads only when it is used.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rune.passes.instrumentation import Instrumentation

EMIT_KINDS = ("ast", "ir", "llvm-dialect", "llvm", "asm", "obj", "wasm", "rune")


def add_pass_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passes", help="textual pass pipeline, e.g. "
                        "'fuse-elementwise,plan-memory{strategy=greedy-by-size}'")
    parser.add_argument("--list-passes", action="store_true",
                        help="list every pass with its options and exit")
    parser.add_argument("--print-ir-before", action="append", default=[], metavar="PASS",
                        help="print the IR to stderr before PASS (repeatable)")
    parser.add_argument("--print-ir-after", action="append", default=[], metavar="PASS",
                        help="print the IR to stderr after PASS (repeatable)")
    parser.add_argument("--print-ir-after-all", action="store_true",
                        help="print the IR to stderr after every pass")
    parser.add_argument("--verify-each", action="store_true",
                        help="verify the IR after every pass")
    parser.add_argument("--crash-reproducer", metavar="FILE",
                        help="where to write the IR before a failing pass "
                        "(default: a new file in the temp directory)")
    parser.add_argument("--time-passes", action="store_true",
                        help="print the time spent in each phase and pass to stderr")


def wants_instrumentation(args: argparse.Namespace) -> bool:
    """Whether the flags ask to watch the passes run (dumps, verification, a reproducer)."""
    return bool(args.print_ir_before or args.print_ir_after or args.print_ir_after_all
                or args.verify_each or args.crash_reproducer)


def instrumentation_from(args: argparse.Namespace) -> Instrumentation:
    from rune.passes.instrumentation import Instrumentation

    return Instrumentation(
        print_before=frozenset(args.print_ir_before),
        print_after=frozenset(args.print_ir_after),
        print_after_all=args.print_ir_after_all,
        verify_each=args.verify_each,
        reproducer=Path(args.crash_reproducer) if args.crash_reproducer else None,
    )


def list_passes() -> str:
    from rune.passes.registry import DESCRIPTIONS, PASSES
    from xdsl.passes import get_pass_option_infos

    lines = []
    for name, cls in PASSES.items():
        lines.append(f"  {name:<20} {DESCRIPTIONS[name]}")
        for option in get_pass_option_infos(cls):
            default = f" (default: {option.default_value})" if option.default_value else ""
            lines.append(f"      {option.name}: {option.expected_type}{default}")
    return "Passes:\n" + "\n".join(lines)


def timing_report(timings: dict[str, float]) -> str:
    """A report in the shape of MLIR's `-mlir-timing`: wall time and share per phase."""
    total = sum(v for k, v in timings.items() if not k.startswith("pass "))
    rule = "===" + "-" * 73 + "==="
    lines = [rule, "  ... Execution time report ...".center(79), rule,
             f"  Total Execution Time: {total:.4f} seconds", "",
             "  ----Wall Time----  ----Name----"]
    for name, seconds in timings.items():
        share = 100.0 * seconds / total if total else 0.0
        label = f"  {name[5:]}" if name.startswith("pass ") else name
        lines.append(f"  {seconds:8.4f} ({share:5.1f}%)  {label}")
    lines.append(f"  {total:8.4f} (100.0%)  Total")
    return "\n".join(lines)
