"""Typed attributes that passes attach: fused chains, the memory plan and the manifest.

Each is a `ParametrizedAttribute` whose parameters are its fields, declared once as annotations
(irdl checks their types). They share one printed form, the fields by name in declaration order:

    #rune.tensor_slot<id 0, offset 0, bytes 400, first 0, last 1>

integers bare, strings quoted, lists in brackets, arguments as a dictionary, nested records as
attributes; an optional field (`| NoneAttr`) that is absent is not printed. A field declared
`name_` is called `name` (the class's `name` is the attribute's own). `plain_value` turns any of
them into the plain data (dicts, lists, ints, strings) the manifest is made of.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from rune.ir.attr_values import Value, from_attr
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntAttr, NoneAttr, StringAttr
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.irdl import VerificationContext, irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException


@cache
def _fields(cls: type[ParametrizedAttribute]) -> list[tuple[str, bool]]:
    out = []
    for name, param in cls.get_irdl_definition().parameters:
        try:
            param.constr.verify(NoneAttr(), VerificationContext())
            optional = True
        except VerifyException:
            optional = False
        out.append((name.removesuffix("_"), optional))
    return out


class Record(ParametrizedAttribute):
    """An attribute printed and parsed as `<field value, ...>`, fields by name and in order."""

    @classmethod
    def fields(cls) -> list[tuple[str, bool]]:
        """(field name, optional) of every parameter, in declaration order."""
        return _fields(cls)

    def print_parameters(self, printer: Printer) -> None:
        present = [(name, value) for (name, _), value in zip(self.fields(), self.parameters,
                                                             strict=True)
                   if not isinstance(value, NoneAttr)]  # fmt: skip

        def field(item: tuple[str, Attribute]) -> None:
            printer.print_string(f"{item[0]} ")
            _print_value(printer, item[1])

        with printer.in_angle_brackets():
            printer.print_list(present, field)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        fields = cls.fields()
        given: dict[str, Attribute] = {}
        position = 0

        def field() -> None:
            nonlocal position
            name = parser.parse_identifier(f" (a field of {cls.name})")
            names = [n for n, _ in fields[position:]]
            if name not in names:
                known = ", ".join(n for n, _ in fields)
                parser.raise_error(f"{cls.name} has no field {name!r} here (fields, in order: "
                                   f"{known})")  # fmt: skip
            position += names.index(name) + 1
            given[name] = _parse_value(parser)

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, field)
        for name, optional in fields:
            if name not in given and not optional:
                parser.raise_error(f"{cls.name} needs the field {name!r}")
        return [given.get(name, NoneAttr()) for name, _ in fields]


def _print_value(printer: Printer, value: Attribute) -> None:
    if isinstance(value, IntAttr):
        printer.print_int(value.data)
    elif isinstance(value, StringAttr):
        printer.print_string_literal(value.data)
    elif isinstance(value, ArrayAttr):
        with printer.in_square_brackets():
            printer.print_list(value.data, lambda item: _print_value(printer, item))
    else:
        printer.print_attribute(value)


def _parse_value(parser: AttrParser) -> Attribute:
    number = parser.parse_optional_integer(allow_boolean=False)
    if number is not None:
        return IntAttr(number)
    text = parser.parse_optional_str_literal()
    if text is not None:
        return StringAttr(text)
    items = parser.parse_optional_comma_separated_list(
        parser.Delimiter.SQUARE, lambda: _parse_value(parser))
    if items is not None:
        return ArrayAttr(items)
    return parser.parse_attribute()


def plain_value(attr: Attribute) -> Value:
    """A record (or a field of one) as plain data: absent optional fields are left out."""
    if isinstance(attr, Record):
        return {name: plain_value(value)
                for (name, _), value in zip(attr.fields(), attr.parameters, strict=True)
                if not isinstance(value, NoneAttr)}  # fmt: skip
    if isinstance(attr, IntAttr):
        return attr.data
    if isinstance(attr, ArrayAttr):
        return [plain_value(item) for item in attr.data]
    return from_attr(attr)


def ints(values: Sequence[int]) -> ArrayAttr[IntAttr]:
    return ArrayAttr([IntAttr(v) for v in values])


# -- fuse-elementwise ---------------------------------------------------------------------------


@irdl_attr_definition
class FusedStepAttr(Record):
    """One elementwise stage applied to each element as a kernel loads it: the producer's
    stage name, kernel and arguments, and the element types it reads and makes."""

    name = "rune.fused_step"

    stage: StringAttr
    kernel: StringAttr
    args: DictionaryAttr
    reads: StringAttr
    makes: StringAttr


# -- plan-memory --------------------------------------------------------------------------------


@irdl_attr_definition
class TensorSlotAttr(Record):
    """Where one tensor lives in the arena, and the stage steps it is live for."""

    name = "rune.tensor_slot"

    id: IntAttr
    offset: IntAttr
    bytes: IntAttr
    first: IntAttr
    last: IntAttr


@irdl_attr_definition
class MemoryPlanAttr(Record):
    """The static memory plan: arena size, the naive sum and lower bound, and every slot."""

    name = "rune.memory_plan"

    strategy: StringAttr
    arena_bytes: IntAttr
    naive_bytes: IntAttr
    lower_bound_bytes: IntAttr
    tensors: ArrayAttr[TensorSlotAttr]


# -- lower-pipeline: the manifest (docs/abi.md) -------------------------------------------------


@irdl_attr_definition
class ManifestTensorAttr(Record):
    name = "rune.manifest_tensor"

    id: IntAttr
    element_type: StringAttr
    dimensions: ArrayAttr[IntAttr]


@irdl_attr_definition
class ManifestCapabilityAttr(Record):
    name = "rune.manifest_capability"

    index: IntAttr
    name_: StringAttr
    kind: StringAttr
    args: DictionaryAttr
    outputs: ArrayAttr[IntAttr]


@irdl_attr_definition
class ManifestModelAttr(Record):
    name = "rune.manifest_model"

    index: IntAttr
    name_: StringAttr
    format: StringAttr
    source: StringAttr
    inputs: ArrayAttr[IntAttr]
    outputs: ArrayAttr[IntAttr]


@irdl_attr_definition
class ManifestOutputAttr(Record):
    name = "rune.manifest_output"

    index: IntAttr
    name_: StringAttr
    kind: StringAttr
    args: DictionaryAttr
    inputs: ArrayAttr[IntAttr]


@irdl_attr_definition
class ManifestStageAttr(Record):
    name = "rune.manifest_stage"

    name_: StringAttr
    inputs: ArrayAttr[IntAttr]
    outputs: ArrayAttr[IntAttr]
    kind: StringAttr
    proc_block: StringAttr | NoneAttr


@irdl_attr_definition
class ManifestCompiledModelAttr(Record):
    """A model import-models compiled into the rune (its operators became kernel stages)."""

    name = "rune.manifest_compiled_model"

    name_: StringAttr
    format: StringAttr
    model: StringAttr
    operators: IntAttr


@irdl_attr_definition
class ManifestAttr(Record):
    """What lower-pipeline hands the packager: the manifest less what only packaging knows (the
    compiler's name, each model's blob range)."""

    name = "rune.manifest"

    abi_version: IntAttr
    name_: StringAttr
    image: StringAttr
    tensors: ArrayAttr[ManifestTensorAttr]
    capabilities: ArrayAttr[ManifestCapabilityAttr]
    models: ArrayAttr[ManifestModelAttr]
    outputs: ArrayAttr[ManifestOutputAttr]
    stages: ArrayAttr[ManifestStageAttr]
    memory: MemoryPlanAttr
    compiled_models: ArrayAttr[ManifestCompiledModelAttr] | NoneAttr  # import-models
    probes: ArrayAttr[StringAttr] | NoneAttr  # insert-stage-probes (runec --profile)


ATTRIBUTES = [FusedStepAttr, TensorSlotAttr, MemoryPlanAttr, ManifestTensorAttr,
              ManifestCapabilityAttr, ManifestModelAttr, ManifestOutputAttr, ManifestStageAttr,
              ManifestCompiledModelAttr, ManifestAttr]  # fmt: skip
