"""The tfl dialect's verifiers: each rejects a malformed op with a message naming the problem,
and printed ops parse back."""

from __future__ import annotations

import numpy as np
import pytest
from rune.ir import dialect as rd
from rune.ir import tfl
from rune.tools.compiler import parse_ir
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    ModuleOp,
    NoneAttr,
    StringAttr,
    UnitAttr,
)
from xdsl.ir import Block, Region
from xdsl.utils.exceptions import VerifyException


def conv(weights=(4, 3, 3, 2), bias=(4,), padding="SAME", weight_slot=None, quant=None,
         stride=1):
    x = rd.CapabilityOp("x", "RAW", DictionaryAttr({}), rd.tensor_type("f32", [1, 5, 5, 2]))
    constants = [UnitAttr(), weight_slot or tfl.array_to_dense(np.ones(weights, np.float32)),
                 tfl.array_to_dense(np.zeros(bias, np.float32))]
    props = {"stage": StringAttr("m#0"), "constants": ArrayAttr(constants),
             "quant": ArrayAttr(quant or [NoneAttr()] * 4)}
    for name, kind in tfl.OPERATORS["CONV_2D"].options:
        value = {"padding": padding, "activation": "NONE"}.get(name, stride)
        props[name] = (StringAttr(value) if isinstance(value, str)
                       else tfl.option_attr(kind, value))
    operands = [x.output] * (2 if isinstance(weight_slot, UnitAttr) else 1)
    return tfl.OP_CLASSES["CONV_2D"].create(
        operands=operands, result_types=[rd.tensor_type("f32", [1, 5, 5, 4])],
        properties=props)


def test_a_well_formed_conv_verifies_and_round_trips():
    op = conv()
    x = op.inputs[0].owner
    out = rd.OutputOp("y", "serial", DictionaryAttr({}), [op.results[0]])
    module = ModuleOp([rd.PipelineOp("p", "img", Region(Block([x, op, out])))])
    module.verify()
    text = str(module)
    assert '"tfl.conv_2d"(%0) <{stage = "m#0", constants = [unit, dense<' in text
    reparsed = [o for o in parse_ir(text).walk() if isinstance(o, tfl.TflOp)]
    assert len(reparsed) == 1 and str(reparsed[0]) == str(op)
    assert np.array_equal(reparsed[0].constant(1), np.ones((4, 3, 3, 2), np.float32))


@pytest.mark.parametrize("make, message", [
    (lambda: conv(bias=(3,)), "bias shape (3,) does not match 4 output channels"),
    (lambda: conv(padding="FULL"), "padding 'FULL' is not one of SAME, VALID"),
    (lambda: conv(weight_slot=UnitAttr()), "input 1 must be a constant in a compiled model"),
    (lambda: conv(weights=(4, 3, 3, 3)), "input channels 2 are not a multiple of the "
     "filter's 3"),
    (lambda: conv(quant=[NoneAttr()] * 3), "quant has 3 entries for 3 inputs and 1 outputs"),
    (lambda: conv(stride=0), "stride_w must be at least 1"),
    (lambda: conv(quant=[NoneAttr(), tfl.QuantAttr([0.1] * 3, [0] * 3, 0), NoneAttr(),
                         NoneAttr()]), "3 filter scales for 4 output channels"),
])
def test_verifier_rejects(make, message):
    with pytest.raises(VerifyException, match=message.replace("(", r"\(").replace(")", r"\)")):
        make().verify()


def test_quant_attribute_checks_its_parameters():
    with pytest.raises(VerifyException, match="as many zero points as scales"):
        tfl.QuantAttr([0.5, 0.25], [0], 0).verify()
    with pytest.raises(VerifyException, match="scales must be positive"):
        tfl.QuantAttr([0.0], [0], 0).verify()
    q = tfl.QuantAttr([0.5], [-3], 0)
    assert (q.scales, q.zero_points) == ([0.5], [-3])


def test_every_operator_of_the_table_has_an_op_and_a_kernel():
    from rune.passes.lower_tfl import KERNELS

    assert set(tfl.OP_CLASSES) == set(tfl.OPERATORS) == set(KERNELS)
    assert {c.name for c in tfl.Tfl.operations} == {
        "tfl." + name.lower() for name in tfl.OPERATORS}
