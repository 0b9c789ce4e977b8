"""Hand-written IR compiled to a rune with the default -O2 pipeline, with or without passes."""

from __future__ import annotations

from collections.abc import Sequence

from rune.passes.registry import default_pipeline
from rune.runtime import Rune
from rune.tools.compiler import CompileOptions, compile_module, parse_ir, run_passes


def compile_ir(text: str, without: Sequence[str] = (), simd: bool = False
               ) -> tuple[Rune, list[str]]:
    """(the rune, its manifest's stage names) from `text`, at -O2 less the passes `without`;
    `simd`: compiled models' kernels written for SIMD128, as runec does for wasm32."""
    pipeline = default_pipeline("2", "compiled", simd=simd)
    spec = ",".join(p for p in pipeline.split(",") if p not in without)
    options = CompileOptions(passes=spec, opt_level="2")
    module = parse_ir(text)
    run_passes(module, options)
    rune = Rune.load(compile_module(module, "rune", options))
    return rune, [stage.name for stage in rune.manifest.stages]
