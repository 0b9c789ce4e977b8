"""Our rules for ONNX models, on top of the ONNX checker (onnx_format.read_onnx).

onnxruntime resolves an initializer's external data (`location: secret.txt`) against the
working directory of whoever runs the rune and hands its bytes out as outputs; a custom domain
names operators from libraries we do not ship. So a rune's ONNX model must be self-contained:
no tensor anywhere in it (initializers, sparse initializers, Constant nodes, attributes, inside
subgraphs) may keep its data outside the file, every operator comes from the standard domain,
and the model defines no functions of its own.
"""

from __future__ import annotations

from typing import Any

from .errors import ModelFormatError
from .onnx_format import OnnxModel, read_onnx

STANDARD_DOMAINS = ("", "ai.onnx")
MAX_NODES = 100_000


def check_onnx(data: bytes | bytearray | memoryview) -> OnnxModel:
    """The checker's summary of a model that also keeps our rules; ModelFormatError if not."""
    info = read_onnx(data)
    import onnx

    model = onnx.load_model_from_string(bytes(data))
    for opset in model.opset_import:
        if opset.domain not in STANDARD_DOMAINS:
            raise ModelFormatError(f"operator domain {opset.domain!r} is not accepted (only the "
                                   "standard ONNX operators run)")
    if len(model.functions):
        raise ModelFormatError("models that define their own functions are not accepted")
    nodes = 0
    for tensor, where in _tensors(model.graph, onnx):
        if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
            raise ModelFormatError(f"{where} keeps its data outside the model file "
                                   "(external data is not accepted)")
    for node in _nodes(model.graph, onnx):
        nodes += 1
        if node.domain not in STANDARD_DOMAINS:
            raise ModelFormatError(f"node {node.name or node.op_type!r} is from domain "
                                   f"{node.domain!r}, which is not accepted")
        if nodes > MAX_NODES:
            raise ModelFormatError(f"the model has more than {MAX_NODES} nodes")
    return info


def _graphs(graph: Any, onnx: Any) -> list[Any]:
    """The graph and every subgraph (If/Loop/Scan bodies), without recursion."""
    found, pending = [], [graph]
    while pending:
        g = pending.pop()
        found.append(g)
        for node in g.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    pending.append(attr.g)
                pending.extend(attr.graphs)
    return found


def _nodes(graph: Any, onnx: Any) -> list[Any]:
    return [node for g in _graphs(graph, onnx) for node in g.node]


def _tensors(graph: Any, onnx: Any) -> list[tuple[Any, str]]:
    found = []
    for g in _graphs(graph, onnx):
        found += [(t, f"initializer {t.name!r}") for t in g.initializer]
        for sparse in g.sparse_initializer:
            found += [(sparse.values, f"sparse initializer {sparse.values.name!r}"),
                      (sparse.indices, f"sparse initializer {sparse.values.name!r} indices")]
        for node in g.node:
            for attr in node.attribute:
                where = f"attribute {attr.name!r} of node {node.name or node.op_type!r}"
                if attr.HasField("t"):
                    found.append((attr.t, where))
                found += [(t, where) for t in attr.tensors]
                if attr.HasField("sparse_tensor"):
                    found.append((attr.sparse_tensor.values, where))
    return found
