"""Runefile v1 structure: fields, stage kinds, inputs, outputs, arguments and resources."""

from __future__ import annotations

from pathlib import Path

import pytest
from rune.frontend import (
    DiagnosticError,
    ResourceType,
    SourceFile,
    Span,
    StageKind,
    load_runefile,
    parse_runefile,
)

SINE = """\
version: 1
image: runicos/base
pipeline:
  rand:
    capability: raw
    outputs:
      - type: F32
        dimensions: [1, 1]
  mod360:
    proc-block: "hotg-ai/proc-blocks@v0.11.3#modulo"
    inputs:
      - rand
    outputs:
      - type: f32
        dimensions:
          - 1
          - 1
    args:
      modulus: 360.0
  serial:
    out: SERIAL
    inputs:
      - mod360.0
"""

HEADER = "version: 1\nimage: runicos/base\npipeline:\n"
EMPTY = "version: 1\nimage: runicos/base\npipeline: {}\n"


def _parse(text: str):
    return parse_runefile(SourceFile("Runefile.yml", text))


def _failure(text: str) -> DiagnosticError:
    with pytest.raises(DiagnosticError) as caught:
        _parse(text)
    return caught.value


def test_sine_pipeline_is_read_with_kinds_and_targets() -> None:
    runefile = _parse(SINE)

    assert (runefile.version, runefile.image) == (1, "runicos/base")
    assert list(runefile.stages) == ["rand", "mod360", "serial"]
    rand, mod360, serial = runefile.stages.values()
    assert (rand.kind, rand.target) == (StageKind.CAPABILITY, "RAW")
    assert (mod360.kind, mod360.target) == (
        StageKind.PROC_BLOCK,
        "hotg-ai/proc-blocks@v0.11.3#modulo",
    )
    assert (serial.kind, serial.target) == (StageKind.OUT, "serial")
    assert [(o.element_type, o.dimensions) for o in mod360.outputs] == [("f32", (1, 1))]
    assert mod360.args["modulus"].value == 360.0
    assert [(i.stage, i.index) for i in serial.inputs] == [("mod360", 0)]
    assert runefile.resources == {}


def test_every_node_has_its_span() -> None:
    runefile = _parse(SINE)
    rand, mod360, serial = runefile.stages.values()

    assert runefile.span.line == 1
    assert rand.span == Span("Runefile.yml", 4, 3, 4, 7)
    assert rand.target_span == Span("Runefile.yml", 5, 17, 5, 20)
    assert (rand.outputs[0].span.line, rand.outputs[0].span.column) == (7, 9)
    assert mod360.inputs[0].span == Span("Runefile.yml", 12, 9, 12, 13)
    assert mod360.args["modulus"].span == Span("Runefile.yml", 19, 7, 19, 21)
    assert serial.inputs[0].span == Span("Runefile.yml", 23, 9, 23, 17)


def test_element_types_are_case_insensitive_and_stored_lower_case() -> None:
    text = HEADER + (
        "  raw:\n    capability: RAW\n    outputs:\n"
        "      - {type: UTF8, dimensions: [3]}\n"
        "      - {type: I16, dimensions: []}\n"
        "      - {type: u64, dimensions: [0, 2]}\n"
    )
    outputs = _parse(text).stages["raw"].outputs

    assert [(o.element_type, o.dimensions) for o in outputs] == [
        ("utf8", (3,)),
        ("i16", ()),
        ("u64", (0, 2)),
    ]


def test_unknown_element_type_suggests_a_close_one() -> None:
    failure = _failure(HEADER + "  r:\n    capability: RAW\n    outputs:\n      - type: f23\n")

    messages = [d.message for d in failure.diagnostics]
    assert messages == ['Unknown element type, "f23"', "missing field `dimensions`"]
    assert failure.diagnostics[0].notes[0].message == "did you mean `f32`?"


def test_missing_output_fields_are_both_reported() -> None:
    failure = _failure(HEADER + "  r:\n    capability: RAW\n    outputs:\n      - {}\n")

    assert [d.message for d in failure.diagnostics] == [
        "missing field `type`",
        "missing field `dimensions`",
    ]
    assert failure.diagnostics[0].span.line == 7


@pytest.mark.parametrize(
    ("dimensions", "found"),
    [("[-1]", "integer `-1`"), ("[1.5]", "floating point `1.5`"), ("[a]", 'string "a"')],
)
def test_dimensions_must_be_non_negative_integers(dimensions: str, found: str) -> None:
    text = HEADER + "  r:\n    capability: RAW\n    outputs:\n      - type: u8\n"
    failure = _failure(text + f"        dimensions: {dimensions}\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == f"invalid dimension: {found}, expected a non-negative integer"
    assert (diagnostic.span.line, diagnostic.span.column) == (8, 22)


def test_typo_in_a_stage_key_suggests_the_right_one() -> None:
    stage = "  rand:\n    capability: RAND\n    ouputs:\n      - {type: f32, dimensions: [1]}\n"
    failure = _failure(HEADER + stage)

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == (
        'unknown field `ouputs` in capability stage "rand", '
        "expected one of `capability`, `outputs`, `args`"
    )
    assert diagnostic.span == Span("Runefile.yml", 6, 5, 6, 11)
    assert [n.message for n in diagnostic.notes] == ["did you mean `outputs`?"]


def test_capability_stages_take_no_inputs() -> None:
    failure = _failure(HEADER + "  rand:\n    capability: RAND\n    inputs: [x]\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == "a capability stage cannot have `inputs`"
    assert diagnostic.span == Span("Runefile.yml", 6, 5, 6, 11)
    assert diagnostic.notes == ()


def test_stage_without_a_kind_suggests_one() -> None:
    failure = _failure(HEADER + "  sine:\n    modle: ./sine.tflite\n    inputs: [rand]\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == (
        'stage "sine" needs one of `capability`, `model`, `proc-block` or `out`'
    )
    assert diagnostic.span.line == 4
    assert [n.message for n in diagnostic.notes] == ["did you mean `model`?"]


def test_stage_with_two_kinds_is_rejected() -> None:
    failure = _failure(HEADER + "  s:\n    model: ./m.tflite\n    out: serial\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == (
        'stage "s" has both `model` and `out`, but a stage is exactly one kind'
    )
    assert diagnostic.span.line == 6
    assert diagnostic.notes[0].span.line == 5


def test_unknown_top_level_key_suggests_and_missing_fields_are_all_reported() -> None:
    failure = _failure("image: runicos/base\npipline: {}\n")

    assert [d.message for d in failure.diagnostics] == [
        "unknown field `pipline` in the Runefile, "
        "expected one of `version`, `image`, `pipeline`, `resources`",
        "missing field `version`",
        "missing field `pipeline`",
    ]
    assert failure.diagnostics[0].notes[0].message == "did you mean `pipeline`?"
    assert [d.span.line for d in failure.diagnostics] == [2, 1, 1]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2", "invalid value: integer `2`, expected version to be 1"),
        ('"1"', 'invalid type: string "1", expected version to be 1'),
        ("true", "invalid type: boolean `true`, expected version to be 1"),
    ],
)
def test_version_must_be_the_integer_one(version: str, message: str) -> None:
    failure = _failure(f"version: {version}\nimage: runicos/base\npipeline: {{}}\n")

    assert [d.message for d in failure.diagnostics] == [message]
    assert failure.diagnostics[0].span.column == 10


def test_runefile_must_be_a_mapping() -> None:
    failure = _failure("- version\n- image\n")

    assert [d.message for d in failure.diagnostics] == [
        "invalid type: sequence, expected a Runefile (a map)"
    ]


@pytest.mark.parametrize("written", ["rand.x", "rand.", "2fast", "a.b.1"])
def test_malformed_inputs_are_rejected(written: str) -> None:
    text = HEADER + f"  serial:\n    out: serial\n    inputs:\n      - {written}\n"
    failure = _failure(text)

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == f'invalid input "{written}", expected "stage" or "stage.N"'
    assert diagnostic.span.line == 7


def test_arguments_keep_scalar_types_and_resource_references() -> None:
    text = HEADER + (
        "  label:\n"
        "    proc-block: hotg-ai/proc-blocks#label\n"
        "    inputs: [x]\n"
        "    args:\n"
        "      count: 3\n"
        "      ratio: 0.5\n"
        "      enabled: true\n"
        "      wordlist: $LABELS\n"
        "      words: |\n"
        "        up\n"
        "        down\n"
    )
    args = _parse(text).stages["label"].args

    assert {name: arg.value for name, arg in args.items()} == {
        "count": 3,
        "ratio": 0.5,
        "enabled": True,
        "wordlist": "$LABELS",
        "words": "up\ndown\n",
    }
    assert args["wordlist"].resource == "LABELS"
    assert args["count"].resource is None


@pytest.mark.parametrize(("value", "found"), [("[1, 2]", "sequence"), ("", "null")])
def test_arguments_must_be_scalars(value: str, found: str) -> None:
    failure = _failure(HEADER + f"  r:\n    capability: RAW\n    args:\n      n: {value}\n")

    assert [d.message for d in failure.diagnostics] == [
        f"invalid type: {found}, expected a string, number or boolean"
    ]


def test_resources_default_to_string_and_keep_their_value() -> None:
    text = HEADER + (
        "  r:\n    capability: RAW\n"
        "resources:\n"
        "  LABELS:\n    inline: |\n      a\n      b\n"
        "  MODEL:\n    type: binary\n    path: ./model.tflite\n"
        "  LATER:\n    type: binary\n"
    )
    resources = _parse(text).resources

    assert [(r.name, r.type, r.inline, r.path) for r in resources.values()] == [
        ("LABELS", ResourceType.STRING, "a\nb\n", None),
        ("MODEL", ResourceType.BINARY, None, "./model.tflite"),
        ("LATER", ResourceType.BINARY, None, None),
    ]
    assert resources["MODEL"].span == Span("Runefile.yml", 11, 3, 11, 8)


def test_resource_with_inline_and_path_is_rejected() -> None:
    text = EMPTY + "resources:\n  WORDS:\n    inline: hello\n    path: ./words.txt\n"
    failure = _failure(text)

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == ('resource "WORDS" has both `inline` and `path`; give at most one')
    assert diagnostic.span.line == 7
    assert diagnostic.notes[0].span.line == 6


def test_resource_type_typo_is_suggested() -> None:
    failure = _failure(EMPTY + "resources:\n  M:\n    type: binray\n")

    [diagnostic] = failure.diagnostics
    assert diagnostic.message == 'unknown resource type "binray", expected one of string, binary'
    assert diagnostic.notes[0].message == "did you mean `binary`?"


def test_independent_errors_are_reported_together() -> None:
    text = HEADER + (
        "  a:\n    capability: RAW\n    outputs: [{type: str, dimensions: [1]}]\n"
        "  b:\n    out: serial\n    inptus: [a]\n"
    )
    failure = _failure(text)

    assert [d.span.line for d in failure.diagnostics] == [6, 9]


def test_load_runefile_registers_the_source_even_when_parsing_fails(tmp_path: Path) -> None:
    from rune.frontend import DiagnosticEngine

    path = tmp_path / "Runefile.yml"
    path.write_text("version: 2\nimage: x\npipeline: {}\n")
    engine = DiagnosticEngine()
    with pytest.raises(DiagnosticError) as caught:
        load_runefile(path, engine)

    rendered = engine.render_all(caught.value.diagnostics)
    assert rendered.splitlines() == [
        f"{path}:1:10: error: invalid value: integer `2`, expected version to be 1",
        "   1 | version: 2",
        "     |          ^",
    ]


def test_missing_runefile_is_a_diagnostic(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as caught:
        load_runefile(tmp_path / "nope.yml")

    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == f"unable to read {tmp_path}/nope.yml: No such file or directory"
    assert diagnostic.span is None


def test_runefile_directory_is_where_it_lives(tmp_path: Path) -> None:
    path = tmp_path / "Runefile.yml"
    path.write_text(SINE)

    runefile, source = load_runefile(path)

    assert runefile.directory == str(tmp_path)
    assert runefile.path == str(path) == source.path


def test_stage_names_that_yaml_reads_as_booleans_still_resolve() -> None:
    text = HEADER + "  on:\n    capability: RAW\n" + "  off:\n    out: serial\n    inputs: [on]\n"
    stages = _parse(text).stages

    assert list(stages) == ["on", "off"]
    assert [(i.stage, i.index) for i in stages["off"].inputs] == [("on", 0)]
