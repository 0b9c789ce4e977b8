"""check-types: every stage's tensors against what its kernel or model file accepts.

Edges are consistent by construction (an SSA value has one type), so what is left to check is
each proc block's signature and arguments, and each model's declared inputs and outputs against
the tensors stored in the model file itself, wherever its format can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from pathlib import Path

from rune.abi.models.errors import ModelFormatError
from rune.abi.models.tflite_format import read_tflite
from rune.abi.models.tflite_graph import verify_tflite_graph
from rune.frontend import confine
from rune.ir import dialect as rd
from rune.ir.dialect import tensor_sig
from rune.kernels import lookup
from rune.kernels.base import ProcBlockError, TensorSig, args_from_attr
from rune.passes.common import StageError, input_sigs
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class CheckTypesPass(ModulePass):
    """Verify proc-block signatures and model tensors; changes nothing."""

    name = "check-types"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for stage in op.walk():
            if isinstance(stage, rd.ProcBlockOp):
                _check_proc_block(stage)
            elif isinstance(stage, rd.ModelOp):
                _check_model(stage)


def _check_proc_block(stage: rd.ProcBlockOp) -> None:
    try:
        block = lookup(stage.kernel.data)
        if block is None:
            raise StageError(stage.stage_name, f"unknown proc block `{stage.kernel.data}`")
        args = block.parse_args(args_from_attr(stage.args))
        block.check(
            [TensorSig(*sig) for sig in input_sigs(stage)],
            [TensorSig(*tensor_sig(v.type)) for v in stage.outputs],
            args,
        )
    except ProcBlockError as exc:
        raise StageError(stage.stage_name, str(exc)) from None


def _check_model(stage: rd.ModelOp) -> None:
    if stage.format.data != "tensorflow-lite" or not stage.source.data:
        return  # nothing readable to check against
    path = Path(stage.source.data)
    if not path.is_file():
        raise StageError(stage.stage_name, f"model file {path} does not exist")
    try:
        data = confine.current().read_bytes(path)
        model = read_tflite(data)
        verify_tflite_graph(data)  # refused here, not first on the device
    except confine.ConfinementError as exc:
        raise StageError(stage.stage_name, str(exc)) from None
    except ModelFormatError as exc:
        raise StageError(
            stage.stage_name, f"{path.name} is not a valid TFLite model: {exc}"
        ) from None
    _compare(stage.stage_name, "input", [tensor_sig(v.type) for v in stage.inputs], model.inputs)
    _compare(stage.stage_name, "output", [tensor_sig(v.type) for v in stage.outputs],
             model.outputs)


def _compare(stage: str, what: str, declared: list, actual: list) -> None:
    if len(declared) != len(actual):
        raise StageError(
            stage,
            f'the Runefile gives model "{stage}" {len(declared)} {what}(s), '
            f"but the model file has {len(actual)}",
        )
    for slot, ((element, shape), tensor) in enumerate(zip(declared, actual, strict=True)):
        # A shape the model file leaves to allocation time is checked by the host, on load.
        known = tensor.shape is not None
        if element != tensor.element_type or (known and prod(shape) != prod(tensor.shape)):
            raise StageError(
                stage,
                f'{what} {slot} of model "{stage}" is declared {_show(element, shape)} in the '

                f"Runefile but is {_show(tensor.element_type, tensor.shape)} in the model file",
            )


def _show(element: str, shape) -> str:
    return f"{element}[{'?' if shape is None else ', '.join(map(str, shape))}]"
