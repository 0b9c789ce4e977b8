"""Typed reads from YAML nodes that record a positioned error instead of stopping.

Each read returns None after reporting, so the parser can carry on and find every other
mistake in the same run.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml
from rune.frontend.diagnostics import ErrorCollector, suggestion
from rune.frontend.source import Span
from rune.frontend.yaml_loader import STR_TAG, describe, node_span

Field = tuple[yaml.ScalarNode, yaml.Node]
"""A mapping entry: the key node (for positions) and the value node."""


class NodeReader:
    """Reads YAML nodes of one file, reporting type mismatches into `errors`."""

    def __init__(self, file: str, errors: ErrorCollector) -> None:
        self.file = file
        self.errors = errors

    def span(self, node: yaml.Node) -> Span:
        return node_span(node, self.file)

    def mapping(self, node: yaml.Node, expected: str) -> list[tuple[str, Field]] | None:
        """A mapping's entries in file order, keyed by the key's text."""
        if not isinstance(node, yaml.MappingNode):
            self.invalid_type(node, expected)
            return None
        entries = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.errors.error(f"invalid key: {describe(key)}, expected a name", self.span(key))
                continue
            entries.append((key.value, (key, value)))
        return entries

    def fields(
        self, node: yaml.Node, expected: str, allowed: Sequence[str], where: str
    ) -> dict[str, Field] | None:
        """A mapping with a fixed set of keys; any other key is an error with a suggestion.
        `where` names the mapping in that error (e.g. 'capability stage "rand"')."""
        entries = self.mapping(node, expected)
        return None if entries is None else self.known_fields(entries, allowed, where)

    def known_fields(
        self, entries: list[tuple[str, Field]], allowed: Sequence[str], where: str
    ) -> dict[str, Field]:
        """The entries whose key is allowed, reporting every other key."""
        known: dict[str, Field] = {}
        for name, (key, value) in entries:
            if name in allowed:
                known[name] = (key, value)
            else:
                self.unknown_field(name, key, where, allowed)
        return known

    def unknown_field(self, name: str, key: yaml.Node, where: str, allowed: Sequence[str]) -> None:
        listed = ", ".join(f"`{a}`" for a in allowed)
        self.errors.error(
            f"unknown field `{name}` in {where}, expected one of {listed}",
            self.span(key),
            *suggestion(name, allowed),
        )

    def require(self, fields: dict[str, Field], names: Sequence[str], span: Span) -> None:
        """Report each missing field, so all of them are listed at once."""
        for name in names:
            if name not in fields:
                self.errors.error(f"missing field `{name}`", span)

    def sequence(self, node: yaml.Node, expected: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.invalid_type(node, expected)
            return None
        return list(node.value)

    def string(self, node: yaml.Node, expected: str) -> str | None:
        """A non-empty string scalar (quoted or plain, but not a number, boolean or null)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR_TAG:
            self.invalid_type(node, expected)
            return None
        if not node.value:
            self.errors.error(f"empty string, expected {expected}", self.span(node))
            return None
        return node.value

    def invalid_type(self, node: yaml.Node, expected: str) -> None:
        self.errors.error(f"invalid type: {describe(node)}, expected {expected}", self.span(node))
