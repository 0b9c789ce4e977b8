"""YAML problems become positioned diagnostics, never tracebacks."""

from __future__ import annotations

import pytest
from rune.frontend import DiagnosticError, SourceFile, Span, parse_runefile
from rune.frontend.yaml_loader import compose, describe, node_span, scalar_value


def _failure(text: str) -> DiagnosticError:
    with pytest.raises(DiagnosticError) as caught:
        parse_runefile(SourceFile("Runefile.yml", text))
    return caught.value


def test_bad_indentation_points_at_the_problem() -> None:
    failure = _failure("version: 1\nimage: runicos/base\n  bad: indent\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == "invalid YAML: mapping values are not allowed here"
    assert diagnostic.span == Span("Runefile.yml", 3, 6)


def test_unclosed_flow_sequence_notes_where_it_opened() -> None:
    failure = _failure("version: 1\nimage: [unclosed\npipeline: {}\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == "invalid YAML: expected ',' or ']', but got ':'"
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 9)
    assert diagnostic.notes[0].message == "while parsing a flow sequence"
    assert (diagnostic.notes[0].span.line, diagnostic.notes[0].span.column) == (2, 8)


def test_second_document_reads_as_one_sentence() -> None:
    failure = _failure("version: 1\n---\nimage: x\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == (
        "invalid YAML: expected a single document in the stream, but found another document"
    )
    assert diagnostic.span.line == 2


def test_control_character_is_located() -> None:
    failure = _failure("version: 1\nimage: \x07\n")

    [diagnostic] = failure.diagnostics
    assert "special characters are not allowed" in diagnostic.message
    assert diagnostic.span == Span("Runefile.yml", 2, 8)


def test_duplicate_keys_are_all_reported_with_the_first_definition() -> None:
    text = (
        "version: 1\n"
        "image: runicos/base\n"
        "version: 1\n"
        "pipeline:\n"
        "  serial:\n"
        "    out: serial\n"
        "    out: other\n"
    )
    failure = _failure(text)

    assert [d.message for d in failure.diagnostics] == [
        'duplicate key "version"',
        'duplicate key "out"',
    ]
    assert [(d.span.line, d.span.column) for d in failure.diagnostics] == [(3, 1), (7, 5)]
    assert [d.notes[0].span.line for d in failure.diagnostics] == [1, 6]


def test_duplicate_stage_names_are_rejected() -> None:
    text = "a:\n  x: 1\na:\n  x: 2\n"
    with pytest.raises(DiagnosticError) as caught:
        compose(SourceFile("f.yml", text))

    assert caught.value.diagnostics[0].message == 'duplicate key "a"'
    assert caught.value.diagnostics[0].span.line == 3


def test_spans_are_one_based_with_an_exclusive_end() -> None:
    root = compose(SourceFile("f.yml", "pipeline:\n  rand: {capability: RAW}\n"))
    stage_key, stage = root.value[0][1].value[0]

    assert node_span(stage_key, "f.yml") == Span("f.yml", 2, 3, 2, 7)
    assert node_span(stage, "f.yml") == Span("f.yml", 2, 9, 2, 26)


def test_empty_file_has_no_root() -> None:
    assert compose(SourceFile("f.yml", "# nothing here\n")) is None


@pytest.mark.parametrize(
    ("text", "value", "description"),
    [
        ("42", 42, "integer `42`"),
        ("2.5", 2.5, "floating point `2.5`"),
        ("true", True, "boolean `true`"),
        ("~", None, "null"),
        ('"42"', "42", 'string "42"'),
        ("2001-12-14", "2001-12-14", 'string "2001-12-14"'),
    ],
)
def test_scalars_follow_the_core_schema(text: str, value: object, description: str) -> None:
    node = compose(SourceFile("f.yml", text))

    assert scalar_value(node) == value
    assert type(scalar_value(node)) is type(value)
    assert describe(node) == description
