"""Runefile v1 YAML to the syntax tree, reporting every structural mistake in one go."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from rune.frontend import confine
from rune.frontend.ast import Resource, ResourceType, Runefile, Stage
from rune.frontend.diagnostics import DiagnosticEngine, ErrorCollector, Note, error, suggestion
from rune.frontend.node_reader import Field, NodeReader
from rune.frontend.source import SourceFile, Span
from rune.frontend.stage_parser import parse_stage
from rune.frontend.yaml_loader import INT_TAG, NULL_TAG, compose, describe, scalar_value

TOP_LEVEL_KEYS = ("version", "image", "pipeline", "resources")
REQUIRED_KEYS = ("version", "image", "pipeline")
RESOURCE_KEYS = ("type", "inline", "path")
RESOURCE_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
SUPPORTED_VERSION = 1


def load_runefile(
    path: str | Path, engine: DiagnosticEngine | None = None
) -> tuple[Runefile, SourceFile]:
    """Read and parse a Runefile. The source is registered with `engine` (when given) before
    parsing, so the engine can quote source lines even if parsing fails."""
    try:
        reader = confine.Confinement(Path("/"), max_file_size=confine.MAX_RUNEFILE_BYTES,
                                     confined=False)
        source = SourceFile(str(path), reader.read_text(path))
    except confine.ConfinementError as exc:
        raise error(f"unable to read {path}: {exc.reason}") from None
    if engine is not None:
        engine.add_source(source)
    return parse_runefile(source), source


def parse_runefile(source: SourceFile) -> Runefile:
    """Parse Runefile v1 text; raises one DiagnosticError carrying every problem found."""
    root = compose(source)
    errors = ErrorCollector()
    reader = NodeReader(source.path, errors)
    top_span = reader.span(root) if root is not None else Span(source.path, 1, 1)
    if root is None:
        entries = []
    elif isinstance(root, yaml.MappingNode):
        entries = reader.mapping(root, "a map") or []
    else:
        raise error(f"invalid type: {describe(root)}, expected a Runefile (a map)", top_span)
    fields = reader.known_fields(entries, TOP_LEVEL_KEYS, "the Runefile")
    reader.require(fields, REQUIRED_KEYS, top_span)
    version = _parse_version(reader, fields["version"][1]) if "version" in fields else None
    image = reader.string(fields["image"][1], "a string") if "image" in fields else None
    stages = _parse_pipeline(reader, fields["pipeline"][1]) if "pipeline" in fields else {}
    resources = _parse_resources(reader, fields["resources"][1]) if "resources" in fields else {}
    errors.raise_if_any()
    assert version is not None and image is not None, "a missing field is reported above"
    directory = str(Path(source.path).absolute().parent)
    return Runefile(version, image, stages, resources, source.path, directory, top_span)


def _parse_version(reader: NodeReader, node: yaml.Node) -> int | None:
    expected = f"version to be {SUPPORTED_VERSION}"
    if not isinstance(node, yaml.ScalarNode) or node.tag != INT_TAG:
        reader.invalid_type(node, expected)
        return None
    version = scalar_value(node)
    if version != SUPPORTED_VERSION:
        message = f"invalid value: integer `{version}`, expected {expected}"
        reader.errors.error(message, reader.span(node))
        return None
    return SUPPORTED_VERSION


def _parse_pipeline(reader: NodeReader, node: yaml.Node) -> dict[str, Stage]:
    entries = reader.mapping(node, "a map of stage names to stages")
    stages = {}
    for _, (key, value) in entries or ():
        stage = parse_stage(reader, key, value)
        if stage is not None:
            stages[stage.name] = stage
    return stages


def _parse_resources(reader: NodeReader, node: yaml.Node) -> dict[str, Resource]:
    entries = reader.mapping(node, "a map of resource names to resources")
    resources = {}
    for name, (key, value) in entries or ():
        if not RESOURCE_NAME.fullmatch(name):
            reader.errors.error(
                f'invalid resource name "{name}": use letters, digits and `_`, '
                "not starting with a digit",
                reader.span(key),
            )
            continue
        resource = _parse_resource(reader, name, key, value)
        if resource is not None:
            resources[name] = resource
    return resources


def _parse_resource(
    reader: NodeReader, name: str, key: yaml.ScalarNode, node: yaml.Node
) -> Resource | None:
    where = f'resource "{name}"'
    fields = reader.fields(node, f"a map describing {where}", RESOURCE_KEYS, where)
    if fields is None:
        return None
    kind = _parse_resource_type(reader, fields["type"][1]) if "type" in fields else None
    inline = _optional_string(reader, fields.get("inline"))
    path = _optional_string(reader, fields.get("path"))
    if inline is not None and path is not None:
        reader.errors.error(
            f"{where} has both `inline` and `path`; give at most one",
            reader.span(fields["path"][0]),
            Note("`inline` given here", reader.span(fields["inline"][0])),
        )
        return None
    if "type" in fields and kind is None:
        return None
    path_span = reader.span(fields["path"][1]) if path is not None else None
    return Resource(name, kind or ResourceType.STRING, reader.span(key), inline, path, path_span)


def _parse_resource_type(reader: NodeReader, node: yaml.Node) -> ResourceType | None:
    names = tuple(t.value for t in ResourceType)
    written = reader.string(node, "a resource type")
    if written is None:
        return None
    if written not in names:
        reader.errors.error(
            f'unknown resource type "{written}", expected one of {", ".join(names)}',
            reader.span(node),
            *suggestion(written, names),
        )
        return None
    return ResourceType(written)


def _optional_string(reader: NodeReader, field: Field | None) -> str | None:
    """A string field that YAML `null` (or leaving it out) switches off."""
    if field is None or (isinstance(field[1], yaml.ScalarNode) and field[1].tag == NULL_TAG):
        return None
    if not isinstance(field[1], yaml.ScalarNode):
        reader.invalid_type(field[1], "a string")
        return None
    return field[1].value
