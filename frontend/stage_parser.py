"""Parsing of one pipeline stage: its kind, inputs, outputs and arguments."""

from __future__ import annotations

import re

import yaml
from rune.frontend.ast import ELEMENT_TYPES, Argument, Input, Stage, StageKind, TensorType
from rune.frontend.diagnostics import Note, suggestion
from rune.frontend.node_reader import Field, NodeReader
from rune.frontend.yaml_loader import INT_TAG, NULL_TAG, describe, scalar_value, span_between

KIND_KEYS = {kind.value: kind for kind in StageKind}

ALLOWED_KEYS = {
    StageKind.CAPABILITY: ("capability", "outputs", "args"),
    StageKind.MODEL: ("model", "inputs", "outputs", "args"),
    StageKind.PROC_BLOCK: ("proc-block", "inputs", "outputs", "args"),
    StageKind.OUT: ("out", "inputs", "args"),
}

ANY_STAGE_KEY = ("capability", "model", "proc-block", "out", "inputs", "outputs", "args")

STAGE_NAME = re.compile(r"[A-Za-z_][\w-]*")
INPUT = re.compile(r"(?P<stage>[A-Za-z_][\w-]*)(?:\.(?P<index>\d+))?")


def parse_stage(reader: NodeReader, key: yaml.ScalarNode, node: yaml.Node) -> Stage | None:
    """One `name: {...}` pipeline entry, or None once its errors are reported."""
    name = key.value
    if not STAGE_NAME.fullmatch(name):
        reader.errors.error(
            f'invalid stage name "{name}": use letters, digits, `_` and `-`, '
            "starting with a letter or `_`",
            reader.span(key),
        )
        return None
    entries = reader.mapping(node, f'a map describing stage "{name}"')
    if entries is None:
        return None
    kind_entries = [(k, field) for k, field in entries if k in KIND_KEYS]
    if len(kind_entries) != 1:
        _report_kind_count(reader, name, key, entries, kind_entries)
        return None
    kind_key, (_, target_node) = kind_entries[0]
    kind = KIND_KEYS[kind_key]
    where = f'{kind.value} stage "{name}"'
    fields = _stage_fields(reader, kind, where, entries)
    target = reader.string(target_node, f"a string naming the {kind.value}")
    if target is None:
        return None
    if kind is StageKind.CAPABILITY:
        target = target.upper()
    elif kind is StageKind.OUT:
        target = target.lower()
    stage = Stage(name, kind, target, reader.span(key), reader.span(target_node))
    if "inputs" in fields:
        stage.inputs = _parse_inputs(reader, fields["inputs"])
    if "outputs" in fields:
        stage.outputs = _parse_outputs(reader, fields["outputs"])
    if "args" in fields:
        stage.args = _parse_args(reader, fields["args"])
    return stage


def _stage_fields(
    reader: NodeReader, kind: StageKind, where: str, entries: list[tuple[str, Field]]
) -> dict[str, Field]:
    """The stage's keys, rejecting keys of other kinds plainly and suggesting fixes for typos."""
    allowed = ALLOWED_KEYS[kind]
    misplaced = [(k, field) for k, field in entries if k in ANY_STAGE_KEY and k not in allowed]
    for name, (key, _) in misplaced:
        reader.errors.error(f"a {kind.value} stage cannot have `{name}`", reader.span(key))
    return reader.known_fields([e for e in entries if e not in misplaced], allowed, where)


def _report_kind_count(
    reader: NodeReader,
    name: str,
    key: yaml.ScalarNode,
    entries: list[tuple[str, Field]],
    kind_entries: list[tuple[str, Field]],
) -> None:
    if kind_entries:
        (first, (first_key, _)), (second, (second_key, _)) = kind_entries[:2]
        reader.errors.error(
            f'stage "{name}" has both `{first}` and `{second}`, but a stage is exactly one kind',
            reader.span(second_key),
            Note(f"`{first}` given here", reader.span(first_key)),
        )
        return
    unknown = [k for k, _ in entries if k not in ANY_STAGE_KEY]
    notes = [note for k in unknown for note in suggestion(k, tuple(KIND_KEYS))]
    reader.errors.error(
        f'stage "{name}" needs one of `capability`, `model`, `proc-block` or `out`',
        reader.span(key),
        *notes,
    )


def _parse_inputs(reader: NodeReader, field: Field) -> list[Input]:
    items = reader.sequence(field[1], 'a list of inputs like "stage" or "stage.1"')
    inputs = []
    for item in items or ():
        if not isinstance(item, yaml.ScalarNode):
            reader.invalid_type(item, 'an input like "stage" or "stage.1"')
            continue
        # The written text, not YAML 1.1's reading: a stage may be called `on` or `no`.
        text = item.value
        match = INPUT.fullmatch(text)
        if match is None:
            reader.errors.error(
                f'invalid input "{text}", expected "stage" or "stage.N"', reader.span(item)
            )
            continue
        index = int(match["index"]) if match["index"] is not None else 0
        inputs.append(Input(match["stage"], index, reader.span(item)))
    return inputs


def _parse_outputs(reader: NodeReader, field: Field) -> list[TensorType]:
    items = reader.sequence(field[1], "a list of tensor types")
    outputs = []
    for item in items or ():
        fields = reader.fields(item, "a tensor type", ("type", "dimensions"), "a tensor type")
        if fields is None:
            continue
        type_field, dimensions_field = fields.get("type"), fields.get("dimensions")
        element_type = _parse_element_type(reader, type_field[1]) if type_field else None
        dimensions = _parse_dimensions(reader, dimensions_field[1]) if dimensions_field else None
        reader.require(fields, ("type", "dimensions"), reader.span(item))
        if element_type is not None and dimensions is not None:
            outputs.append(TensorType(element_type, dimensions, reader.span(item)))
    return outputs


def _parse_element_type(reader: NodeReader, node: yaml.Node) -> str | None:
    written = reader.string(node, "an element type")
    if written is None:
        return None
    if written.lower() in ELEMENT_TYPES:
        return written.lower()
    notes = suggestion(written.lower(), ELEMENT_TYPES) or (
        Note(f"element types are {', '.join(ELEMENT_TYPES)}"),
    )
    reader.errors.error(f'Unknown element type, "{written}"', reader.span(node), *notes)
    return None


def _parse_dimensions(reader: NodeReader, node: yaml.Node) -> tuple[int, ...] | None:
    items = reader.sequence(node, "a list of dimensions")
    if items is None:
        return None
    dimensions = []
    for item in items:
        is_int = isinstance(item, yaml.ScalarNode) and item.tag == INT_TAG
        value = scalar_value(item) if is_int else None
        if isinstance(value, int) and value >= 0:
            dimensions.append(value)
        else:
            reader.errors.error(
                f"invalid dimension: {describe(item)}, expected a non-negative integer",
                reader.span(item),
            )
    return tuple(dimensions) if len(dimensions) == len(items) else None


def _parse_args(reader: NodeReader, field: Field) -> dict[str, Argument]:
    entries = reader.mapping(field[1], "a map of argument names to values")
    args = {}
    for name, (key, node) in entries or ():
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
            reader.invalid_type(node, "a string, number or boolean")
            continue
        value = scalar_value(node)
        resource = value[1:] if isinstance(value, str) and value.startswith("$") else None
        args[name] = Argument(name, value, span_between(key, node, reader.file), resource)
    return args
