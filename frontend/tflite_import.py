"""Import a TFLite model into the pipeline: one `tfl` stage per operator (see ir/tfl.py).

The model stage's inputs feed the model's first operators and its declared outputs are the
model's last tensors, so a compiled model's activations are ordinary pipeline tensors. An
operator not in `tfl.OPERATORS`, or a tensor type no compiled kernel reads, is an error naming
the operator and the model, never a silent fallback to the host.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from rune.frontend import confine
from rune.frontend.tflite_graph import Graph, ModelFormatError, Tensor, read_graph
from rune.ir import dialect as rd
from rune.ir import tfl
from xdsl.dialects.builtin import ArrayAttr, NoneAttr, StringAttr, TensorType, UnitAttr
from xdsl.ir import Attribute, SSAValue

#: TFLite tensor types a compiled model's activations may have (reader spelling).
ACTIVATION_TYPES = ("f32", "i8", "u8", "i16", "i32")
SEPARATOR = "#"  # a tfl stage is named "<model stage>#<operator index>"


class ImportError_(Exception):
    """The model cannot be compiled; the message names the operator or tensor and the model."""


def model_stage_of(stage: str) -> str:
    """The Runefile stage a tfl stage came from (for diagnostics)."""
    return stage.split(SEPARATOR, 1)[0]


class _Importer:
    def __init__(self, model: rd.ModelOp, graph: Graph, name: str) -> None:
        self.model = model
        self.graph = graph
        self.name = name
        self.values: dict[int, SSAValue] = {}
        self.ops: list[tfl.TflOp] = []

    def run(self) -> list[tfl.TflOp]:
        graph, model = self.graph, self.model
        if len(graph.inputs) != len(model.inputs) or len(graph.outputs) != len(model.outputs):
            raise ImportError_(f"model {self.name} has {len(graph.inputs)} inputs and "
                               f"{len(graph.outputs)} outputs; the Runefile declares "
                               f"{len(model.inputs)} and {len(model.outputs)}")
        for index, value in zip(graph.inputs, model.inputs, strict=True):
            self.values[index] = self._reshaped(value, graph.tensors[index], "input")
        for op in graph.operators:
            self._operator(op)
        return self.ops

    def _type(self, tensor: Tensor) -> TensorType:
        if tensor.type_name not in ACTIVATION_TYPES:
            raise ImportError_(f"model {self.name}: tensor {tensor.name!r} has type "
                               f"{tensor.type_name}, which compiled models do not support")
        return rd.tensor_type(tensor.type_name, tensor.shape or (1,))

    def _reshaped(self, value: SSAValue, tensor: Tensor, what: str) -> SSAValue:
        """`value` with `tensor`'s shape: the Runefile may declare another shape of equal size."""
        return self._reshape(value, self._type(tensor), tensor, what)

    def _reshape(self, value: SSAValue, wanted: Attribute, tensor: Tensor, what: str) -> SSAValue:
        if value.type == wanted:
            return value
        op = tfl.OP_CLASSES["RESHAPE"].create(
            operands=[value], result_types=[wanted],
            properties={"stage": StringAttr(f"{self.model.stage_name}{SEPARATOR}{what}"),
                        "constants": ArrayAttr([UnitAttr()]),
                        "quant": ArrayAttr([_quant(tensor), _quant(tensor)])})
        self.ops.append(op)
        return op.results[0]

    def _operator(self, op) -> None:
        spec = tfl.OPERATORS[op.name]
        tensors = self.graph.tensors
        if _folds(op, tensors, self.values):
            return  # a dequantized constant (float16 weights) is a constant itself
        constants: list[Attribute] = []
        operands: list[SSAValue] = []
        quant: list[Attribute] = []
        for index in op.inputs:
            if index < 0:
                constants.append(NoneAttr())
                quant.append(NoneAttr())
                continue
            tensor = tensors[index]
            quant.append(_quant(tensor))
            if index in self.values:
                constants.append(UnitAttr())
                operands.append(self.values[index])
            elif tensor.data is not None:
                constants.append(tfl.array_to_dense(tensor.data))
            else:
                raise ImportError_(f"model {self.name}: operator {op.index} ({op.name}) reads "
                                   f"tensor {tensor.name!r}, which nothing computes")
        outputs = [tensors[i] for i in op.outputs]
        quant.extend(_quant(t) for t in outputs)
        properties: dict[str, Attribute] = {
            "stage": StringAttr(f"{self.model.stage_name}{SEPARATOR}{op.index}"),
            "constants": ArrayAttr(constants),
            "quant": ArrayAttr(quant),
        }
        for option, kind in spec.options:
            properties[option] = tfl.option_attr(kind, op.options.get(option, 0))
        new = tfl.OP_CLASSES[op.name].create(
            operands=operands, result_types=[self._type(t) for t in outputs],
            properties=properties)
        self.ops.append(new)
        for index, value in zip(op.outputs, new.results, strict=True):
            self.values[index] = value

    def finish(self) -> list[SSAValue]:
        """The model's outputs in the Runefile's declared types."""
        results = []
        for index, declared in zip(self.graph.outputs, self.model.outputs, strict=True):
            if index not in self.values:
                raise ImportError_(f"model {self.name}: output tensor "
                                   f"{self.graph.tensors[index].name!r} is not computed")
            value = self._reshape(self.values[index], declared.type, self.graph.tensors[index],
                                  "output")
            results.append(value)
        return results


def import_model_outputs(model: rd.ModelOp) -> tuple[list[tfl.TflOp], list[SSAValue]]:
    """The tfl stages for `model` and the values that replace its results."""
    path = Path(model.source.data)
    name = f"{model.stage_name!r} ({path.name})"
    try:
        graph = read_graph(confine.current().read_bytes(path))  # a hostile path is refused
    except confine.ConfinementError as exc:
        raise ImportError_(f"cannot read model {name}: {exc}") from None
    except ModelFormatError as exc:
        raise ImportError_(f"model {name}: {exc}") from None
    except OSError as exc:
        raise ImportError_(f"cannot read model {name}: {exc.strerror or exc}") from None
    unsupported = sorted({op.name for op in graph.operators if op.name not in tfl.OPERATORS})
    if unsupported:
        raise ImportError_(
            f"model {name} uses operator{'s' if len(unsupported) > 1 else ''} "
            f"{', '.join(unsupported)}, which compiled models do not support; run it with "
            "`run: handler`")
    importer = _Importer(model, graph, name)
    importer.run()
    results = importer.finish()
    return importer.ops, results


def _folds(op, tensors: list[Tensor], values: dict) -> bool:
    """Fold DEQUANTIZE of a float16 constant into a float32 constant (exact)."""
    if op.name != "DEQUANTIZE" or op.inputs[0] in values:
        return False
    source = tensors[op.inputs[0]]
    if source.data is None or source.data.dtype != np.float16:
        return False
    out = tensors[op.outputs[0]]
    tensors[out.index] = replace(out, data=source.data.astype(np.float32))
    return True


def _quant(tensor: Tensor) -> Attribute:
    q = tensor.quantization
    if q is None:
        return NoneAttr()
    return tfl.QuantAttr(q.scale, q.zero_point, q.quantized_dimension)
