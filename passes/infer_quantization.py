"""infer-quantization: quantize/dequantize stages next to a model take scale and zero point from
the model file, so a Runefile need not repeat what the model already says.

A `quantize` whose result feeds a `rune.model` input, or a `dequantize` that reads a
`rune.model` output, and that was given no `scale` (0, the default, means "not given"), gets the
`scale` and `zero_point` of that model tensor, read from the TFLite file. Must run before
check-types, which rejects a quantize stage that still has no scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rune.abi.models.errors import ModelFormatError
from rune.abi.models.tflite_format import TensorInfo, TfliteModel, read_tflite
from rune.frontend import confine
from rune.ir import dialect as rd
from rune.ir.attr_values import from_attr, to_attr
from rune.passes.common import StageError
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.passes import ModulePass

KERNELS = ("quantize", "dequantize")


@dataclass(frozen=True)
class InferQuantizationPass(ModulePass):
    """Fill in missing quantization arguments from the adjacent model's tensors."""

    name = "infer-quantization"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        models: dict[str, TfliteModel] = {}
        for stage in op.walk():
            if isinstance(stage, rd.ProcBlockOp) and stage.kernel.data in KERNELS:
                _infer(stage, models)


def _number(stage: rd.ProcBlockOp, name: str) -> float:
    """An argument as a number (0 when absent); Runefile scalars may still be strings."""
    attr = stage.args.data.get(name)
    try:
        return float(from_attr(attr)) if attr is not None else 0.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise StageError(stage.stage_name, f"argument `{name}` must be a number") from None


def _given(stage: rd.ProcBlockOp) -> bool:
    return _number(stage, "scale") != 0.0


def _infer(stage: rd.ProcBlockOp, models: dict[str, TfliteModel]) -> None:
    if _given(stage):
        return
    found = _model_tensor(stage, models)
    if found is None:
        return  # not next to a model: check-types asks for explicit arguments
    where, tensor = found
    if _number(stage, "zero_point") != 0.0:
        raise StageError(stage.stage_name,
                         "give `scale` together with `zero_point`, or neither to read both "
                         f"from {where}")
    quantization = tensor.quantization
    if quantization is None or not quantization.scale:
        raise StageError(
            stage.stage_name,
            f"{where} ({tensor.element_type}) is not quantized, so there is no scale or zero "
            "point to read; give `scale` and `zero_point`")
    if len(quantization.scale) > 1:
        raise StageError(
            stage.stage_name,
            f"{where} is quantized per channel ({len(quantization.scale)} scales along axis "
            f"{quantization.quantized_dimension}); {stage.kernel.data} takes one scale")
    args = dict(stage.args.data)
    args["scale"] = to_attr(float(quantization.scale[0]))
    args["zero_point"] = to_attr(int(quantization.zero_point[0]) if quantization.zero_point
                                 else 0)
    stage.properties["args"] = DictionaryAttr(args)


def _model_tensor(stage: rd.ProcBlockOp, models: dict[str, TfliteModel]
                  ) -> tuple[str, TensorInfo] | None:
    """(description, tensor) of the model tensor this stage feeds or reads, if any."""
    if stage.kernel.data == "quantize":
        feeds = [(use.operation, use.index) for result in stage.outputs for use in result.uses
                 if isinstance(use.operation, rd.ModelOp)]
        if not feeds:
            return None
        found = [(f"input {slot} of model {model.stage_name}",
                  _read(stage, model, models).inputs[slot]) for model, slot in feeds]
        params = {(t.quantization.scale, t.quantization.zero_point) if t.quantization else None
                  for _, t in found}
        if len(params) > 1:
            raise StageError(
                stage.stage_name,
                f"quantize feeds {len(found)} model inputs with different quantization; "
                "give `scale` and `zero_point`")
        return found[0]
    owner = stage.inputs[0].owner if stage.inputs else None
    if not isinstance(owner, rd.ModelOp):
        return None
    slot = list(owner.outputs).index(stage.inputs[0])
    return (f"output {slot} of model {owner.stage_name}",
            _read(stage, owner, models).outputs[slot])


def _read(stage: rd.ProcBlockOp, model: rd.ModelOp, models: dict[str, TfliteModel]
          ) -> TfliteModel:
    source = model.source.data
    if model.format.data != "tensorflow-lite" or not source:
        raise StageError(
            stage.stage_name,
            f"{stage.kernel.data} can read quantization only from a TFLite model file, and "
            f"model {model.stage_name} is {model.format.data or 'not a file'}; "
            "give `scale` and `zero_point`")
    if source not in models:
        path = Path(source)
        try:
            models[source] = read_tflite(confine.current().read_bytes(path))
        except confine.ConfinementError as exc:
            raise StageError(stage.stage_name,
                             f"cannot read model file {path}: {exc.reason}") from None
        except ModelFormatError as exc:
            raise StageError(stage.stage_name,
                             f"{path.name} is not a valid TFLite model: {exc}") from None
    return models[source]
