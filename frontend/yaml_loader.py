"""YAML text to a node tree that remembers where every value was written.

PyYAML's composer keeps start/end marks on each node; plain `yaml.safe_load` throws them away,
and without them no later diagnostic could point at a line.
"""

from __future__ import annotations

import yaml
from rune.abi.bounded import MAX_DEPTH, BoundsError, check_float, check_int
from rune.frontend.diagnostics import DiagnosticError, ErrorCollector, Note, error
from rune.frontend.source import SourceFile, Span
from yaml.constructor import SafeConstructor

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"

Scalar = str | int | float | bool | None


MAX_ALIASES = 1000  # a Runefile needs few; many nested ones expand exponentially
MAX_SCALAR_NUMBER_TEXT = 40  # an int or float literal longer than this is refused unread


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing what a Runefile never needs before its recursive composer
    meets it: nesting deeper than MAX_DEPTH, explicit tags (`!!int x`, `!!bool maybe`), and
    more than MAX_ALIASES aliases."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file, self.depth, self.aliases = file, 0, 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        at = Span(self.file, event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise error(f"more than {MAX_ALIASES} YAML aliases", at)
        elif getattr(event, "tag", None) is not None:
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise error(f"explicit YAML tag `{tag}`: a Runefile's values take their type "
                        "from how they are written, not from tags", at)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise error(f"YAML nested deeper than {MAX_DEPTH} levels", at)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose(source: SourceFile) -> yaml.Node | None:
    """The document's root node (None for an empty file); bad YAML raises a DiagnosticError,
    and so does a number outside what Rune accepts (abi/bounded.py)."""
    loader = None
    try:
        loader = _BoundedLoader(source.text, source.path)
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, source.path) from None
    except yaml.reader.ReaderError as exc:
        span = _offset_span(source, exc.position)
        raise error(f"invalid YAML: {exc.reason} (character #x{exc.character:04x})", span) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", Span(source.path, 1, 1)) from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is not None:
        _check_duplicate_keys(root, source.path)
        _check_numbers(root, source.path)
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


def _walk(root: yaml.Node) -> list[yaml.Node]:
    """Every node once (aliases share nodes), without recursion."""
    seen: set[int] = set()
    nodes, pending = [], [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        if isinstance(node, yaml.MappingNode):
            pending.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return nodes


def _check_numbers(root: yaml.Node, file: str) -> None:
    """Integers that fit 64 bits (their text is bounded before it is converted) and finite
    floats, so no later `int()`, verifier or JSON encoder meets anything else."""
    errors = ErrorCollector()
    for node in _walk(root):
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (INT_TAG, FLOAT_TAG):
            continue
        what = "integer" if node.tag == INT_TAG else "number"
        try:
            if len(node.value) > MAX_SCALAR_NUMBER_TEXT:
                raise BoundsError(f"{what} literal of {len(node.value)} characters is too long")
            value = SafeConstructor().construct_object(node)
            if node.tag == INT_TAG:
                check_int(value, what)
            else:
                check_float(value, what)
        except BoundsError as exc:
            errors.error(str(exc), node_span(node, file))
    errors.diagnostics.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    errors.raise_if_any()


def _check_duplicate_keys(root: yaml.Node, file: str) -> None:
    """Reject a key written twice in one mapping: YAML would silently keep only the last."""
    errors = ErrorCollector()
    for node in _walk(root):
        if isinstance(node, yaml.MappingNode):
            first_keys: dict[tuple[str, str], yaml.Node] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    first = first_keys.setdefault((key.tag, key.value), key)
                    if first is not key:
                        errors.error(
                            f'duplicate key "{key.value}"',
                            node_span(key, file),
                            Note("first defined here", node_span(first, file)),
                        )
    errors.diagnostics.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    errors.raise_if_any()
