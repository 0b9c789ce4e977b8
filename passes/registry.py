"""Every pass `runec`, `rune-opt` and tests can name, and the default pipelines per -O level."""

from __future__ import annotations

from collections.abc import Callable

from rune.passes.check_types import CheckTypesPass
from rune.passes.conversions.convert_to_llvm import ConvertToLLVMPass
from rune.passes.convert_models import ConvertModelsPass
from rune.passes.elide_softmax import ElideSoftmaxBeforeArgmaxPass
from rune.passes.fold_affine import FoldAffinePass
from rune.passes.fuse_elementwise import FuseElementwisePass
from rune.passes.fuse_into_model_inputs import FuseElementwiseIntoModelInputsPass
from rune.passes.import_models import ImportModelsPass
from rune.passes.infer_quantization import InferQuantizationPass
from rune.passes.lower_pipeline import LowerPipelinePass
from rune.passes.lower_tfl import LowerTflToLoopsPass
from rune.passes.plan_memory import PlanMemoryPass
from rune.passes.quantized_data_movement import (
    FoldDequantizeQuantizePass,
    QuantizeBeforeDataMovementPass,
)
from rune.passes.relax_precision import RelaxPrecisionPass
from rune.passes.stage_probes import InsertStageProbesPass
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.convert_scf_to_cf import ConvertScfToCf
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

PASSES: dict[str, type[ModulePass]] = {
    p.name: p
    for p in (
        RelaxPrecisionPass,
        ConvertModelsPass,
        InferQuantizationPass,
        CheckTypesPass,
        ImportModelsPass,
        FoldDequantizeQuantizePass,
        QuantizeBeforeDataMovementPass,
        ElideSoftmaxBeforeArgmaxPass,
        FuseElementwiseIntoModelInputsPass,
        LowerTflToLoopsPass,
        FoldAffinePass,
        FuseElementwisePass,
        PlanMemoryPass,
        LowerPipelinePass,
        InsertStageProbesPass,
        CanonicalizePass,
        CommonSubexpressionElimination,
        DeadCodeElimination,
        ConvertScfToCf,
        ConvertToLLVMPass,
    )
}

DESCRIPTIONS: dict[str, str] = {
    "relax-precision": "opt-in: precision=relaxed on every kernel with a precision policy "
    "(runec --precision=relaxed)",
    "convert-models": "TensorFlow SavedModel/Keras models -> TFLite files (optionally int8), "
    "cached by content",
    "infer-quantization": "quantize/dequantize next to a TFLite model: scale and zero point "
    "read from the model file",
    "check-types": "check proc-block signatures and model tensors against the model file",
    "import-models": "compiled TFLite models -> tfl stages (one per operator); "
    "option models=handler|compiled is the default for models without a `run` argument",
    "fold-dequantize-quantize": "remove dequantize -> data movement -> quantize round trips "
    "to the same quantisation (exact)",
    "quantize-before-data-movement": "quantize before pad/reshape/resize/slice so the data "
    "moves as integers (exact)",
    "elide-softmax-before-argmax": "a top-1 index after a compiled int8 softmax reads the "
    "logits, where a compile-time proof shows the result is bit-identical",
    "fuse-elementwise-into-model-inputs": "compute single-use element-wise proc blocks on a "
    "compiled model operator's loads (exact)",
    "lower-tfl-to-loops": "tfl stages -> kernel functions of loops (LiteRT reference "
    "arithmetic) and rune.call stages",
    "fold-affine": "merge consecutive affine/standardize stages into one multiply-add",
    "fuse-elementwise": "fold single-use elementwise proc blocks into their consumer's loads",
    "plan-memory": "static arena offsets from tensor lifetimes; "
    "option strategy=greedy-by-size|naive",
    "lower-pipeline": "rune dialect -> arena views, kernel loops (scf/memref) and rune_run",
    "insert-stage-probes": "opt-in profiling: rune_probe calls around each kernel call in "
    "rune_run (runec --profile)",
    "canonicalize": "xDSL canonicalisation patterns (folding, simplification)",
    "cse": "common subexpression elimination",
    "dce": "dead code elimination",
    "convert-scf-to-cf": "structured loops -> blocks and branches",
    "convert-to-llvm": "arith/math/memref/func/cf -> llvm dialect",
}

LOWERING = ("lower-pipeline",)
TO_LOOPS = ("lower-tfl-to-loops",)
#: Whole-pipeline rewrites across a compiled model's boundary (tfl ops next to proc blocks).
ACROSS_MODELS = ("fold-dequantize-quantize", "quantize-before-data-movement",
                 "elide-softmax-before-argmax", "fuse-elementwise-into-model-inputs")
TO_LLVM = ("convert-scf-to-cf", "convert-to-llvm")


def import_pipeline(models: str) -> str:
    """What `--emit=ir` runs to show compiled models imported: TFLite files, then tfl ops."""
    return f"convert-models,import-models{{models={models}}}"


def default_pipeline(opt_level: str, models: str = "handler", profile: bool = False,
                     precision: str = "exact", simd: bool = False) -> str:
    """The textual pipeline `runec -O<level>` runs between the frontend and the backend;
    `models` is how models without a `run` argument run (handler or compiled); `profile`
    (runec --profile) adds the stage probes right after the lowering, and
    `precision="relaxed"` (runec --precision=relaxed) starts with relax-precision; `simd`: the
    target has wasm SIMD128, so compiled models' and proc blocks' kernels may use it
    explicitly."""
    # needed at every level: they define meaning
    checks = ("convert-models", "infer-quantization", "check-types",
              f"import-models{{models={models}}}")
    if precision == "relaxed":
        checks = ("relax-precision", *checks)
    lowering = ("lower-pipeline{simd=true}",) if simd else LOWERING
    lowering = (*lowering, "insert-stage-probes") if profile else lowering
    to_loops = ("lower-tfl-to-loops{simd=true}",) if simd else TO_LOOPS
    if opt_level == "0":
        return ",".join((*checks, *to_loops, *lowering, *TO_LLVM))
    checks = (*checks, *ACROSS_MODELS, *to_loops)
    optimise = ("fold-affine", "fuse-elementwise", "plan-memory{strategy=greedy-by-size}")
    # No `canonicalize` by default: LLVM's own clean-up gives byte-identical runes, and it
    # cost 10% of compile time on microspeech. It stays available to --passes.
    return ",".join((*checks, *optimise, *lowering, "cse", *TO_LLVM))


def parse_pipeline(spec: str, callback: Callable | None = None) -> PassPipeline:
    """A pipeline from text like `a,b{opt=1},c`; unknown names raise ValueError."""
    available = {name: (lambda p=p: p) for name, p in PASSES.items()}
    return PassPipeline.parse_spec(available, spec, callback)
