"""Memory planning: the planned arena against the naive sum and the lower bound, per rune.

Run: python benchmarks/bench_memory.py (part of `make bench`).
"""

from __future__ import annotations

import sys

from common import PEER, ROOT, table
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, compile_runefile


def runefiles() -> list:
    found = sorted(ROOT.glob("examples/*/Runefile.yml"))
    found += sorted(PEER.glob("examples/*/Runefile.yml"))
    found += sorted(PEER.glob("integration-tests/run-pass/*/Runefile.yml"))
    return found


def main() -> int:
    rows = []
    for path in runefiles():
        options = CompileOptions()
        try:
            compile_runefile(path, "llvm-dialect", options)
        except DiagnosticError as exc:
            print(f"skipped {path.parent.name}: {exc}", file=sys.stderr)
            continue
        memory = options.manifest["memory"]
        arena, bound = memory["arena_bytes"], memory["lower_bound_bytes"]
        over = 100.0 * (arena - bound) / bound if bound else 0.0
        origin = "peer" if PEER in path.parents else "ours"
        label = f"{origin}:{path.parent.parent.name}/{path.parent.name}"
        rows.append([label, len(memory["tensors"]),
                     memory["naive_bytes"], arena, bound, f"{over:.1f}%"])
    print("Memory plan per rune (bytes; -O2, greedy-by-size):")
    print(table(["rune", "tensors", "naive sum", "planned", "lower bound", "over bound"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
