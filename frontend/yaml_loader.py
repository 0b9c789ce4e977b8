"""YAML text to a node tree that remembers where every value was written.

PyYAML's composer keeps start/end marks on each node; plain `yaml.safe_load` throws them away,
and without them no later diagnostic could point at a line.
"""

from __future__ import annotations

import yaml
from rune.frontend.diagnostics import DiagnosticError, ErrorCollector, Note, error
from rune.frontend.source import SourceFile, Span
from yaml.constructor import SafeConstructor

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"

Scalar = str | int | float | bool | None


def compose(source: SourceFile) -> yaml.Node | None:
    """The document's root node (None for an empty file); bad YAML raises a DiagnosticError."""
    try:
        root = yaml.compose(source.text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, source.path) from None
    except yaml.reader.ReaderError as exc:
        span = _offset_span(source, exc.position)
        raise error(f"invalid YAML: {exc.reason} (character #x{exc.character:04x})", span) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", Span(source.path, 1, 1)) from None
    if root is not None:
        _check_duplicate_keys(root, source.path)
    return root


def node_span(node: yaml.Node, file: str) -> Span:
    """The node's 1-based position, from its 0-based PyYAML marks."""
    return span_between(node, node, file)


def span_between(first: yaml.Node, last: yaml.Node, file: str) -> Span:
    """A span from the start of `first` to the end of `last` (e.g. a whole `key: value`)."""
    start, end = first.start_mark, last.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def scalar_value(node: yaml.ScalarNode) -> Scalar:
    """The Python value YAML's core schema gives a scalar; uncommon tags keep their text."""
    if node.tag in (STR_TAG, INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG):
        return SafeConstructor().construct_object(node)
    return node.value


def describe(node: yaml.Node) -> str:
    """How a node reads in an "invalid type" message, in the wording serde used."""
    if isinstance(node, yaml.MappingNode):
        return "map"
    if isinstance(node, yaml.SequenceNode):
        return "sequence"
    value = scalar_value(node)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    return f'string "{value}"'


def _marked_error(exc: yaml.MarkedYAMLError, file: str) -> DiagnosticError:
    def at(mark: yaml.Mark | None) -> Span | None:
        return Span(file, mark.line + 1, mark.column + 1) if mark else None

    problem = exc.problem or exc.context or "malformed document"
    notes = [Note(exc.context, at(exc.context_mark))] if exc.context else []
    if exc.context and problem.startswith("but "):
        # PyYAML words some problems as the second half of their context's sentence.
        problem = f"{exc.context}, {problem}"
    span = at(exc.problem_mark) or at(exc.context_mark) or Span(file, 1, 1)
    return error(f"invalid YAML: {problem}", span, *notes)


def _offset_span(source: SourceFile, offset: int) -> Span:
    before = source.text[:offset]
    line = before.count("\n") + 1
    return Span(source.path, line, offset - (before.rfind("\n") + 1) + 1)


def _check_duplicate_keys(root: yaml.Node, file: str) -> None:
    """Reject a key written twice in one mapping: YAML would silently keep only the last."""
    errors = ErrorCollector()
    seen_nodes: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_keys: dict[tuple[str, str], yaml.Node] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    first = first_keys.setdefault((key.tag, key.value), key)
                    if first is not key:
                        errors.error(
                            f'duplicate key "{key.value}"',
                            node_span(key, file),
                            Note("first defined here", node_span(first, file)),
                        )
                pending.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    errors.diagnostics.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    errors.raise_if_any()
