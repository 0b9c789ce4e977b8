"""Memory planning: the planned arena against the naive sum and the lower bound, per rune; then
the whole-pipeline arena (the model compiled in, one plan) against what two runtimes need: the
kernels' arena (the handler rune) plus the model's own arena as TensorFlow Lite Micro and LiteRT
plan it, measured with their interpreters (benchmarks/model_arenas.py).

Run: python benchmarks/bench_memory.py (part of `make bench`).
"""

from __future__ import annotations

import sys

from common import PEER, ROOT, table
from model_arenas import TflmArena, litert_arena, tflm_arena
from rune.abi.manifest import to_json_value
from rune.frontend.diagnostics import DiagnosticError
from rune.passes.registry import ACROSS_MODELS, default_pipeline
from rune.tools.compiler import CompileOptions, compile_runefile, run_frontend, run_passes


def runefiles() -> list:
    found = sorted(ROOT.glob("examples/*/Runefile.yml"))
    found += sorted(PEER.glob("examples/*/Runefile.yml"))
    found += sorted(PEER.glob("integration-tests/run-pass/*/Runefile.yml"))
    return found


WHOLE_PIPELINES = {  # name -> (Runefile, its model)
    "microspeech": (ROOT / "examples/microspeech/Runefile.yml",
                    ROOT / "examples/microspeech/model.tflite"),
    "person_detection": (PEER / "examples/person_detection/Runefile.yml",
                         PEER / "examples/person_detection/model.tflite"),
}


def arena_of(path, models: str) -> int:
    options = CompileOptions(models=models)
    compile_runefile(path, "llvm-dialect", options)
    return to_json_value(options.manifest)["memory"]["arena_bytes"]


def whole_pipeline_rows() -> tuple[list[list[str]], list[str]]:
    """One row per pipeline, and a note per model TFLM refuses."""
    rows, notes = [], []
    for name, (runefile, model) in WHOLE_PIPELINES.items():
        whole, kernels = arena_of(runefile, "compiled"), arena_of(runefile, "handler")
        tflm, litert = tflm_arena(model), litert_arena(model)
        span = f"{litert.span:,}" + (f" (+{litert.hidden} scratch tensors)" if litert.hidden
                                     else "")
        if isinstance(tflm, TflmArena):
            own, tflm_cell = tflm.smallest, f"{tflm.smallest:,} ({tflm.head:,} + {tflm.tail:,})"
        else:
            own, tflm_cell = litert.span, "refused"
            notes.append(f"{name}: TFLM refuses the model: {tflm}")
        rows.append([name, f"{whole:,}", f"{kernels:,}", tflm_cell, span,
                     f"{kernels + own:,}", f"{whole / (kernels + own):.2f}"])
    return rows, notes


ACROSS = {
    "microspeech": ROOT / "examples/microspeech/Runefile.yml",
    "person_detection": PEER / "examples/person_detection/Runefile.yml",
    "style_transfer": PEER / "examples/style_transfer/Runefile.yml",
}


def planned(path, across: bool) -> tuple[int, int]:
    """(arena, naive sum) of the plan with models compiled, with or without the passes across
    the model boundary (the pipeline up to plan-memory: no LLVM)."""
    spec = default_pipeline("2", "compiled").split(",lower-pipeline")[0]
    if not across:
        spec = ",".join(p for p in spec.split(",") if p not in ACROSS_MODELS)
    front = run_frontend(path)
    run_passes(front.module, CompileOptions(passes=spec, models="compiled"), front.runefile)
    (plan,) = [op.attributes["rune.memory_plan"] for op in front.module.ops
               if "rune.memory_plan" in op.attributes]
    return plan.arena_bytes.data, plan.naive_bytes.data


def across_rows() -> list[list[str]]:
    rows = []
    for name, path in ACROSS.items():
        (arena, naive), (before, naive_before) = planned(path, True), planned(path, False)
        rows.append([name, f"{before:,}", f"{arena:,}", f"{arena / before:.2f}",
                     f"{naive_before:,}", f"{naive:,}"])
    return rows


def main() -> int:
    rows = []
    for path in runefiles():
        options = CompileOptions()
        try:
            compile_runefile(path, "llvm-dialect", options)
        except DiagnosticError as exc:
            print(f"skipped {path.parent.name}: {exc}", file=sys.stderr)
            continue
        memory = to_json_value(options.manifest)["memory"]
        arena, bound = memory["arena_bytes"], memory["lower_bound_bytes"]
        over = 100.0 * (arena - bound) / bound if bound else 0.0
        origin = "peer" if PEER in path.parents else "ours"
        label = f"{origin}:{path.parent.parent.name}/{path.parent.name}"
        rows.append([label, len(memory["tensors"]),
                     memory["naive_bytes"], arena, bound, f"{over:.1f}%"])
    print("Memory plan per rune (bytes; -O2, greedy-by-size):")
    print(table(["rune", "tensors", "naive sum", "planned", "lower bound", "over bound"], rows))
    whole, notes = whole_pipeline_rows()
    print("\nWhole-pipeline arena (bytes) vs kernels' arena + the model's own arena:")
    print(table(["pipeline", "whole (model compiled)", "kernels (handler rune)",
                 "TFLM: smallest (activations + persistent)", "LiteRT: activations span",
                 "kernels + model", "whole / sum"], whole))
    for note in notes:
        print(note)
    print("(kernels + model: the TFLM arena, else LiteRT's span)")
    print(f"\nModels compiled: the plan without and with {', '.join(ACROSS_MODELS)}:")
    print(table(["pipeline", "arena without", "arena with", "ratio", "naive without",
                 "naive with"], across_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
