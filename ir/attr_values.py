"""Plain Python values ⇄ builtin attributes, so a stage's arguments (a Runefile's scalars)
read naturally in printed IR and survive a print/parse round trip."""

from __future__ import annotations

from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DictionaryAttr,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
)
from xdsl.ir import Attribute

Value = bool | int | float | str | list["Value"] | dict[str, "Value"]


def to_attr(value: Value) -> Attribute:
    if isinstance(value, bool):
        return BoolAttr.from_bool(value)
    if isinstance(value, int):
        return IntegerAttr(value, IntegerType(64))
    if isinstance(value, float):
        return FloatAttr(value, Float64Type())
    if isinstance(value, str):
        return StringAttr(value)
    if isinstance(value, list):
        return ArrayAttr([to_attr(v) for v in value])
    if isinstance(value, dict):
        return DictionaryAttr({k: to_attr(v) for k, v in value.items()})
    raise TypeError(f"no attribute for {value!r}")


def from_attr(attr: Attribute) -> Value:
    if isinstance(attr, IntegerAttr):
        return bool(attr.value.data) if attr.type == IntegerType(1) else attr.value.data
    if isinstance(attr, FloatAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, ArrayAttr):
        return [from_attr(a) for a in attr.data]
    if isinstance(attr, DictionaryAttr):
        return {k: from_attr(v) for k, v in attr.data.items()}
    raise TypeError(f"no plain value for attribute {attr}")
