"""Every pass `runec`, `rune-opt` and tests can name, and the default pipelines per -O level."""

from __future__ import annotations

from collections.abc import Callable

from rune.passes.check_types import CheckTypesPass
from rune.passes.conversions.convert_to_llvm import ConvertToLLVMPass
from rune.passes.lower_pipeline import LowerPipelinePass
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.convert_scf_to_cf import ConvertScfToCf
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

PASSES: dict[str, type[ModulePass]] = {
    p.name: p
    for p in (
        CheckTypesPass,
        LowerPipelinePass,
        CanonicalizePass,
        CommonSubexpressionElimination,
        DeadCodeElimination,
        ConvertScfToCf,
        ConvertToLLVMPass,
    )
}

DESCRIPTIONS: dict[str, str] = {
    "check-types": "check proc-block signatures and model tensors against the model file",
    "lower-pipeline": "rune dialect -> buffers, kernel loops (scf/memref) and rune_run",
    "canonicalize": "xDSL canonicalisation patterns (folding, simplification)",
    "cse": "common subexpression elimination",
    "dce": "dead code elimination",
    "convert-scf-to-cf": "structured loops -> blocks and branches",
    "convert-to-llvm": "arith/math/memref/func/cf -> llvm dialect",
}

LOWERING = ("lower-pipeline",)
TO_LLVM = ("convert-scf-to-cf", "convert-to-llvm")


def default_pipeline(opt_level: str) -> str:
    """The textual pipeline `runec -O<level>` runs between the frontend and the backend."""
    cleanup = () if opt_level == "0" else ("canonicalize", "cse")
    return ",".join(("check-types", *LOWERING, *cleanup, *TO_LLVM))


def parse_pipeline(spec: str, callback: Callable | None = None) -> PassPipeline:
    """A pipeline from text like `a,b{opt=1},c`; unknown names raise ValueError."""
    available = {name: (lambda p=p: p) for name, p in PASSES.items()}
    return PassPipeline.parse_spec(available, spec, callback)
