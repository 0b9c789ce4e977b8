"""import-models: compiled TFLite models become `tfl` stages in the pipeline.

A model stage runs `compiled` (its operators become tfl stages, later loops in the rune) or
through the host's `handler` (the model_* imports). The Runefile's model argument `run` chooses
per model; the pass option `models` is the default for the rest (runec sets it from
`--models` or the target: `handler` for wasm32, `compiled` for MCU targets).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rune.frontend.semantics import RUN_MODES
from rune.frontend.tflite_import import ImportError_, import_model_outputs
from rune.ir import dialect as rd
from rune.ir.attrs import ManifestCompiledModelAttr
from rune.passes.common import COMPILED_MODELS_ATTR, StageError
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

RUN_ARG = "run"



def run_mode(stage: rd.ModelOp, default: str) -> str:
    """`compiled` or `handler` for one model stage."""
    attr = stage.args.data.get(RUN_ARG) if stage.args is not None else None
    return attr.data if isinstance(attr, StringAttr) else default


def any_compiled(module: ModuleOp, default: str) -> bool:
    """Whether some model stage of `module` runs compiled."""
    return any(isinstance(op, rd.ModelOp) and run_mode(op, default) == "compiled"
               for op in module.walk())


@dataclass(frozen=True)
class ImportModelsPass(ModulePass):
    """Replace each compiled rune.model stage by its operators as tfl stages."""

    name = "import-models"

    models: str = "handler"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.models not in RUN_MODES:
            raise StageError("<module>", f"import-models: models must be one of "
                             f"{', '.join(RUN_MODES)}, got {self.models!r}")
        for pipeline in op.ops:
            if not isinstance(pipeline, rd.PipelineOp):
                continue
            block = pipeline.body.block
            compiled = list(pipeline.attributes.get(COMPILED_MODELS_ATTR, ArrayAttr([])).data)
            for stage in list(block.ops):
                if isinstance(stage, rd.ModelOp) and run_mode(stage, self.models) == "compiled":
                    count = _import(block, stage)
                    compiled.append(ManifestCompiledModelAttr(
                        stage.stage, stage.format, StringAttr(Path(stage.source.data).name),
                        IntAttr(count)))
            if compiled:
                pipeline.attributes[COMPILED_MODELS_ATTR] = ArrayAttr(compiled)


def _import(block, stage: rd.ModelOp) -> int:
    """Replace `stage` by its tfl stages; returns the number of operators."""
    if stage.format.data != "tensorflow-lite":
        raise StageError(stage.stage_name, f"model {stage.stage_name!r} is "
                         f"{stage.format.data}; only TensorFlow Lite models can be compiled "
                         "(run it with `run: handler`)")
    try:
        ops, results = import_model_outputs(stage)
    except ImportError_ as exc:
        raise StageError(stage.stage_name, str(exc)) from None
    for new in ops:
        block.insert_op_before(new, stage)
    for old, new in zip(stage.results, results, strict=True):
        old.replace_all_uses_with(new)
    block.erase_op(stage)
    return len(ops)
