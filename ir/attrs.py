"""Typed attributes that passes attach: fused chains, the memory plan and the manifest.

Each is a `ParametrizedAttribute` whose parameters are its fields (irdl checks their types). The
memory plan and the manifest are `derive`d from `rune.abi`'s dataclasses, so their field names are
written only there; passes build them by field name (`Record.of`). They share one printed form,
the fields by name in declaration order:

    #rune.tensor_slot<id 0, offset 0, bytes 400, first 0, last 1>

integers bare, strings quoted, lists in brackets, arguments as a dictionary, nested records as
attributes; an optional field (`| NoneAttr`) that is absent is not printed. A field declared
`name_` is called `name` (the class's `name` is the attribute's own). `plain_value` turns any of
them into the plain data (dicts, lists, ints, strings) the manifest is made of.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from functools import cache
from typing import Any, Self

from rune.abi import manifest as abi
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

    @classmethod
    def of(cls, **values: Attribute) -> Self:
        """The attribute from its fields by name, so a caller does not depend on their order; an
        optional field left out is absent."""
        fields = cls.fields()
        unknown = set(values) - {name for name, _ in fields}
        missing = [name for name, optional in fields if not optional and name not in values]
        if unknown or missing:
            raise TypeError(f"{cls.name}: unknown fields {sorted(unknown)}, missing {missing}")
        return cls(*[values.get(name, NoneAttr()) for name, _ in fields])

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


# -- plan-memory and lower-pipeline: derived from rune.abi's dataclasses ------------------------


def _attr_type(hint: Any) -> Any:
    """The parameter type of a field of type `hint` (`X | None` is optional: `... | NoneAttr`)."""
    inner = abi.optional_inner(hint)
    if inner is not None:
        return _attr_type(inner) | NoneAttr
    if hint is int:
        return IntAttr
    if hint is str:
        return StringAttr
    if hint == abi.JsonObject:
        return DictionaryAttr
    if dataclasses.is_dataclass(hint):
        return _derived[hint]
    if typing.get_origin(hint) is tuple:
        return ArrayAttr[_attr_type(typing.get_args(hint)[0])]
    raise TypeError(f"no attribute type for {hint!r}")  # a field type this derivation lacks


_derived: dict[type, type[Record]] = {}


def derive(cls: type, name: str) -> type[Record]:
    """The attribute `name` whose fields are dataclass `cls`'s, in order, less the packaging
    fields (`rune.abi.manifest.is_packaging_field`): so the manifest's field names are written
    only in `rune.abi`. A nested dataclass must be derived first."""
    hints = abi.field_types(cls)
    params = {_param(f.name): _attr_type(hints[f.name])
              for f in dataclasses.fields(cls) if not abi.is_packaging_field(f)}  # fmt: skip
    title = "".join(word.title() for word in name.removeprefix("rune.").split("_"))
    attr = type(f"{title}Attr", (Record,), {
        "__doc__": cls.__doc__, "__module__": __name__, "__annotations__": params, "name": name,
    })  # fmt: skip
    _derived[cls] = irdl_attr_definition(attr)
    return _derived[cls]


def _param(field_name: str) -> str:
    """A field's parameter name: `name` is the attribute's own, so that field is `name_`."""
    return "name_" if field_name == "name" else field_name


TensorSlotAttr = derive(abi.TensorSlot, "rune.tensor_slot")
MemoryPlanAttr = derive(abi.MemoryPlan, "rune.memory_plan")
ManifestTensorAttr = derive(abi.Tensor, "rune.manifest_tensor")
ManifestCapabilityAttr = derive(abi.Capability, "rune.manifest_capability")
ManifestModelAttr = derive(abi.Model, "rune.manifest_model")
ManifestOutputAttr = derive(abi.Output, "rune.manifest_output")
ManifestStageAttr = derive(abi.Stage, "rune.manifest_stage")
ManifestCompiledModelAttr = derive(abi.CompiledModel, "rune.manifest_compiled_model")
#: What lower-pipeline hands the packager: the manifest less what only packaging knows.
ManifestAttr = derive(abi.Manifest, "rune.manifest")


ATTRIBUTES = [FusedStepAttr, TensorSlotAttr, MemoryPlanAttr, ManifestTensorAttr,
              ManifestCapabilityAttr, ManifestModelAttr, ManifestOutputAttr, ManifestStageAttr,
              ManifestCompiledModelAttr, ManifestAttr]  # fmt: skip
