"""The rune dialect: types, verifiers, and the print/parse round trip."""

from __future__ import annotations

import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.ir import dialect as rd
from rune.tools.compiler import parse_ir
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Region
from xdsl.utils.exceptions import VerifyException


def _pipeline(*ops) -> ModuleOp:
    block = Block()
    block.add_ops(ops)
    return ModuleOp([rd.PipelineOp("p", "runicos/base", Region(block))])


@pytest.mark.parametrize(
    ("name", "printed"),
    [("u8", "ui8"), ("i8", "si8"), ("i64", "si64"), ("u32", "ui32"), ("f32", "f32"),
     ("f64", "f64"), ("utf8", "!rune.utf8")],
)
def test_element_types_keep_signedness(name, printed):
    typ = rd.tensor_type(name, [2, 3])
    assert str(typ) == f"tensor<2x3x{printed}>"
    assert rd.element_type_name(typ.element_type) == name


def test_round_trip_is_identical():
    source = rd.CapabilityOp("in", "RAW", DictionaryAttr({}), rd.tensor_type("u8", [16]))
    out = rd.OutputOp("serial", "serial", DictionaryAttr({}), [source.output])
    module = _pipeline(source, out)
    module.verify()
    text = str(module)
    assert 'rune.capability "in" kind "RAW" args {} : tensor<16xui8>' in text
    assert str(parse_ir(text)) == text


def test_unknown_capability_kind_is_rejected():
    op = rd.CapabilityOp("in", "LIDAR", DictionaryAttr({}), rd.tensor_type("f32", [1]))
    with pytest.raises(VerifyException, match="unknown capability 'LIDAR'"):
        _pipeline(op).verify()


def test_model_needs_inputs_and_a_known_format():
    source = rd.CapabilityOp("in", "RAW", DictionaryAttr({}), rd.tensor_type("f32", [1]))
    bad_format = rd.ModelOp("m", "caffe", "", [source.output], [rd.tensor_type("f32", [1])])
    with pytest.raises(VerifyException, match="unknown model format 'caffe'"):
        _pipeline(source, bad_format).verify()
    no_inputs = rd.ModelOp("m", "onnx", "", [], [rd.tensor_type("f32", [1])])
    with pytest.raises(VerifyException, match="model 'm' has no inputs"):
        _pipeline(no_inputs).verify()


def test_pipeline_holds_only_stages():
    module = ModuleOp([rd.PipelineOp("p", "img", Region(Block([ModuleOp([])])))])
    with pytest.raises(VerifyException, match="may hold only stages"):
        module.verify()


def test_parse_ir_reports_bad_text_as_a_diagnostic():
    with pytest.raises(DiagnosticError, match="invalid IR in x.mlir"):
        parse_ir("builtin.module { rune.nonsense }", "x.mlir")


def test_stage_name_is_a_property():
    op = rd.CapabilityOp("camera", "IMAGE", DictionaryAttr({}), rd.tensor_type("u8", [4]))
    assert op.stage_name == "camera"
    assert op.stage == StringAttr("camera")
