"""The `rune` dialect: a Runefile's pipeline as an SSA graph of stages over tensors.

Each stage of a Runefile becomes one op; each edge becomes an SSA value of a ranked, static
`tensor` type. Integer element types keep their signedness (`ui8`, `si16`, ...) because the
kernels' arithmetic depends on it; text is `!rune.utf8`. Ops appear in execution order inside a
`rune.pipeline`, so the block order is the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from rune.ir.attrs import ATTRIBUTES, FusedStepAttr
from rune.ir.vocabulary import (  # noqa: F401 - re-exported: the dialect's vocabulary
    CAPABILITY_COUNT_ARGS,
    CAPABILITY_KINDS,
    MODEL_FORMATS,
    OUTPUT_KINDS,
    element_bytes,
)
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    Float32Type,
    Float64Type,
    IntegerType,
    Signedness,
    StringAttr,
    SymbolNameConstraint,
    TensorType,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, Region, SSAValue, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import IsolatedFromAbove, NoTerminator, SymbolOpInterface
from xdsl.utils.exceptions import VerifyException


@irdl_attr_definition
class Utf8Type(ParametrizedAttribute, TypeAttribute):
    """One UTF-8 string; in memory a (ptr: u32, len: u32) pair (docs/abi.md)."""

    name = "rune.utf8"


def element_type_attr(name: str) -> Attribute:
    """The IR element type for a Runefile element-type name (u8 ... f64, utf8)."""
    if name == "utf8":
        return Utf8Type()
    if name == "f32":
        return Float32Type()
    if name == "f64":
        return Float64Type()
    signedness = Signedness.UNSIGNED if name[0] == "u" else Signedness.SIGNED
    return IntegerType(int(name[1:]), signedness)


def element_type_name(attr: Attribute) -> str:
    """The inverse of element_type_attr."""
    if isinstance(attr, Utf8Type):
        return "utf8"
    if isinstance(attr, Float32Type):
        return "f32"
    if isinstance(attr, Float64Type):
        return "f64"
    if isinstance(attr, IntegerType) and attr.signedness.data in (
        Signedness.SIGNED,
        Signedness.UNSIGNED,
    ):
        prefix = "u" if attr.signedness.data is Signedness.UNSIGNED else "i"
        return f"{prefix}{attr.width.data}"
    raise ValueError(f"{attr} is not a rune element type")


def tensor_type(element: str, dimensions: Sequence[int]) -> TensorType:
    return TensorType(element_type_attr(element), list(dimensions))


def tensor_sig(typ: Attribute) -> tuple[str, tuple[int, ...]]:
    """(element type name, shape) of a rune tensor type."""
    assert isinstance(typ, TensorType)
    return element_type_name(typ.element_type), tuple(typ.get_shape())


def tensor_bytes(typ: Attribute) -> int:
    element, shape = tensor_sig(typ)
    return element_bytes(element) * prod(shape)


def _verify_tensor(value: SSAValue | Attribute, what: str) -> None:
    typ = value.type if isinstance(value, SSAValue) else value
    if not isinstance(typ, TensorType):
        raise VerifyException(f"{what} must be a tensor, got {typ}")
    try:
        element_type_name(typ.element_type)
    except ValueError:
        raise VerifyException(
            f"{what} has element type {typ.element_type}; rune tensors hold ui8, si8, ui16, "
            "si16, ui32, si32, ui64, si64, f32, f64 or !rune.utf8") from None
    if any(d < 0 for d in typ.get_shape()):
        raise VerifyException(f"{what} must have a static shape, got {typ}")


def _verify_choice(value: str, choices: Sequence[str], what: str) -> None:
    if value not in choices:
        raise VerifyException(f"unknown {what} {value!r}; expected one of {', '.join(choices)}")


@irdl_op_definition
class PipelineOp(IRDLOperation):
    """A whole rune: its stages in execution order."""

    name = "rune.pipeline"

    sym_name = prop_def(SymbolNameConstraint())
    image = prop_def(StringAttr)
    body = region_def("single_block")

    traits = traits_def(SymbolOpInterface(), NoTerminator(), IsolatedFromAbove())
    assembly_format = "$sym_name `image` $image attr-dict-with-keyword $body"

    def __init__(self, name: str, image: str, body: Region) -> None:
        super().__init__(
            properties={"sym_name": StringAttr(name), "image": StringAttr(image)},
            regions=[body],
        )

    def verify_(self) -> None:
        for op in self.body.ops:
            if not isinstance(op, StageOp):
                raise VerifyException(f"rune.pipeline may hold only stages, found {op.name}")


class StageOp(IRDLOperation):
    """Common shape of every stage: a Runefile name and typed tensor edges."""

    stage = prop_def(StringAttr)

    @property
    def stage_name(self) -> str:
        return self.stage.data

    def verify_(self) -> None:
        for value in self.operands:
            _verify_tensor(value, f"input of stage {self.stage_name!r}")
        for value in self.results:
            _verify_tensor(value, f"output of stage {self.stage_name!r}")


@irdl_op_definition
class CapabilityOp(StageOp):
    """A sensor input supplied by the host (`capability_read`)."""

    name = "rune.capability"

    kind = prop_def(StringAttr)
    args = prop_def(DictionaryAttr)
    output = result_def(TensorType)

    assembly_format = "$stage `kind` $kind `args` $args attr-dict `:` type($output)"

    def __init__(self, stage: str, kind: str, args: DictionaryAttr, output: TensorType) -> None:
        super().__init__(
            properties={"stage": StringAttr(stage), "kind": StringAttr(kind), "args": args},
            result_types=[output],
        )

    def verify_(self) -> None:
        super().verify_()
        _verify_choice(self.kind.data, CAPABILITY_KINDS, "capability")


@irdl_op_definition
class ProcBlockOp(StageOp):
    """A pre/post-processing kernel from the proc-block library, with its typed arguments.

    `fused` (after fuse-elementwise) holds, per input, the elementwise stages applied to each
    element as the kernel reads it (`#rune.fused_step`s, in order), so the producers' tensors
    never exist in memory.
    """

    name = "rune.proc_block"

    kernel = prop_def(StringAttr)
    args = prop_def(DictionaryAttr)
    fused = opt_prop_def(ArrayAttr[ArrayAttr[FusedStepAttr]])
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)

    assembly_format = (
        "$stage `kernel` $kernel `args` $args (`fused` $fused^)? `(` $inputs `)` attr-dict "
        "`:` `(` type($inputs) `)` `->` `(` type($outputs) `)`"
    )

    def __init__(
        self,
        stage: str,
        kernel: str,
        args: DictionaryAttr,
        inputs: Sequence[SSAValue],
        outputs: Sequence[TensorType],
    ) -> None:
        super().__init__(
            properties={"stage": StringAttr(stage), "kernel": StringAttr(kernel), "args": args},
            operands=[inputs],
            result_types=[outputs],
        )

    def verify_(self) -> None:
        super().verify_()
        if not self.inputs:
            raise VerifyException(f"proc block {self.stage_name!r} has no inputs")
        if self.fused is not None and len(self.fused.data) != len(self.inputs):
            raise VerifyException(
                f"proc block {self.stage_name!r} has {len(self.inputs)} inputs but "
                f"{len(self.fused.data)} fused chains"
            )


@irdl_op_definition
class ModelOp(StageOp):
    """An inference the host runs (`model_invoke`); `source` is the model file or directory.

    `args`, when present, holds the compile-time model arguments (`quantize`,
    `representative-data`) that convert-models reads; it is dropped once the model is converted.
    """

    name = "rune.model"

    format = prop_def(StringAttr)
    source = prop_def(StringAttr)
    args = opt_prop_def(DictionaryAttr)
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)

    assembly_format = (
        "$stage `format` $format `source` $source (`args` $args^)? `(` $inputs `)` attr-dict "
        "`:` `(` type($inputs) `)` `->` `(` type($outputs) `)`"
    )

    def __init__(
        self,
        stage: str,
        format: str,
        source: str,
        inputs: Sequence[SSAValue],
        outputs: Sequence[TensorType],
        args: DictionaryAttr | None = None,
    ) -> None:
        properties: dict[str, Attribute] = {
            "stage": StringAttr(stage),
            "format": StringAttr(format),
            "source": StringAttr(source),
        }
        if args is not None and args.data:
            properties["args"] = args
        super().__init__(
            properties=properties,
            operands=[inputs],
            result_types=[outputs],
        )

    def verify_(self) -> None:
        super().verify_()
        _verify_choice(self.format.data, MODEL_FORMATS, "model format")
        if not self.inputs:
            raise VerifyException(f"model {self.stage_name!r} has no inputs")


@irdl_op_definition
class KernelCallOp(StageOp):
    """A stage lowered to a kernel function in the module (e.g. one operator of a compiled
    model, after lower-tfl-to-loops): lower-pipeline calls `callee` with one buffer per input
    and output."""

    name = "rune.call"

    callee = prop_def(StringAttr)
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)

    assembly_format = (
        "$stage `callee` $callee `(` $inputs `)` attr-dict "
        "`:` `(` type($inputs) `)` `->` `(` type($outputs) `)`"
    )

    def __init__(self, stage: str, callee: str, inputs: Sequence[SSAValue],
                 outputs: Sequence[TensorType]) -> None:
        super().__init__(
            properties={"stage": StringAttr(stage), "callee": StringAttr(callee)},
            operands=[inputs],
            result_types=[outputs],
        )


@irdl_op_definition
class OutputOp(StageOp):
    """A result handed to the host (`output_write`)."""

    name = "rune.output"

    kind = prop_def(StringAttr)
    args = prop_def(DictionaryAttr)
    inputs = var_operand_def(TensorType)

    assembly_format = (
        "$stage `kind` $kind `args` $args `(` $inputs `)` attr-dict `:` `(` type($inputs) `)`"
    )

    def __init__(
        self, stage: str, kind: str, args: DictionaryAttr, inputs: Sequence[SSAValue]
    ) -> None:
        super().__init__(
            properties={"stage": StringAttr(stage), "kind": StringAttr(kind), "args": args},
            operands=[inputs],
        )

    def verify_(self) -> None:
        super().verify_()
        _verify_choice(self.kind.data, OUTPUT_KINDS, "output kind")
        if not self.inputs:
            raise VerifyException(f"output {self.stage_name!r} has no inputs")


Rune = Dialect(
    "rune",
    [PipelineOp, CapabilityOp, ProcBlockOp, ModelOp, KernelCallOp, OutputOp],
    [Utf8Type, *ATTRIBUTES],
)
