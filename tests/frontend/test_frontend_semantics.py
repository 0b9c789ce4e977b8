"""Whole-pipeline checks: name resolution, cycles, arity, model formats, files and run order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from frontend_harness import Outcome
from rune.frontend import Severity, SourceFile, execution_order, model_format, parse_runefile

Compile = Callable[[str], Outcome]

HEADER = "version: 1\nimage: runicos/base\npipeline:\n"

RAND = "  rand:\n    capability: RAND\n    outputs:\n      - {type: f32, dimensions: [1]}\n"

IDENTITY = (
    "  identity:\n"
    "    proc-block: ./identity\n"
    "    inputs: [rand, rand]\n"
    "    outputs:\n"
    "      - {type: f32, dimensions: [1]}\n"
    "      - {type: f32, dimensions: [1]}\n"
)


def _serial(*inputs: str) -> str:
    return "  serial:\n    out: serial\n    inputs:\n" + "".join(f"      - {i}\n" for i in inputs)


def test_indexed_inputs_within_range_pass(compile_text: Compile) -> None:
    outcome = compile_text(HEADER + RAND + IDENTITY + _serial("identity.0", "identity.1"))

    assert outcome.failure is None, outcome.rendered
    assert execution_order(outcome.runefile) == ["rand", "identity", "serial"]


def test_input_index_out_of_range_points_at_the_input(compile_text: Compile) -> None:
    outcome = compile_text(HEADER + RAND + IDENTITY + _serial("identity.1", "identity.2"))

    [diagnostic] = outcome.failure.diagnostics
    assert diagnostic.message == (
        '"identity.2" is out of range for "serial": "identity" declares 2 outputs'
    )
    assert (diagnostic.span.line, diagnostic.span.column) == (18, 9)
    assert diagnostic.notes[0].span.line == 8


def test_output_stage_cannot_feed_another_stage(compile_text: Compile) -> None:
    text = HEADER + RAND + _serial("rand") + "  second:\n    out: serial\n    inputs: [serial]\n"
    outcome = compile_text(text)

    assert outcome.messages == [
        '"serial" is an output stage, so it has nothing to pass to "second"'
    ]
    assert outcome.failure.diagnostics[0].span.line == 14


def test_misspelt_input_suggests_a_stage(compile_text: Compile) -> None:
    outcome = compile_text(HEADER + RAND + _serial("rnad"))

    [diagnostic] = outcome.failure.diagnostics
    assert diagnostic.message == 'Unable to find "rnad" to use as an input for "serial"'
    assert [n.message for n in diagnostic.notes] == ["did you mean `rand`?"]
    assert diagnostic.span.line == 11


def test_three_stage_cycle_is_named_hop_by_hop(compile_text: Compile, tmp_path: Path) -> None:
    (tmp_path / "m.tflite").write_bytes(b"model")
    stage = (
        "  {}:\n    model: m.tflite\n    inputs: [{}]\n"
        "    outputs:\n      - {{type: u8, dimensions: [1]}}\n"
    )
    text = HEADER + "".join(stage.format(name, source) for name, source in ("ac", "ba", "cb"))
    outcome = compile_text(text)

    [diagnostic] = outcome.failure.diagnostics
    assert diagnostic.message == 'Cycle detected when checking "a"'
    assert diagnostic.span.line == 4
    assert [(n.message, n.span.line) for n in diagnostic.notes] == [
        ('... which passes data to "b"', 11),
        ('... which passes data to "c"', 16),
        ('... which passes data to "a", completing the cycle.', 6),
    ]
    assert execution_order(outcome.runefile) == ["b", "c", "a"]


def test_execution_order_visits_inputs_first_in_file_order() -> None:
    text = HEADER + (
        "  serial:\n    out: serial\n    inputs: [late, rand]\n"
        "  late:\n    proc-block: p\n    inputs: [other]\n"
        "  other:\n    capability: RAW\n" + RAND
    )
    runefile = parse_runefile(SourceFile("Runefile.yml", text))

    assert execution_order(runefile) == ["other", "late", "rand", "serial"]


def test_undefined_resource_in_an_argument_suggests_the_defined_one(compile_text: Compile) -> None:
    text = HEADER + (
        RAND + "  label:\n    proc-block: p\n    inputs: [rand]\n    args:\n      words: $LABLES\n"
        "resources:\n  LABELS:\n    inline: up\n"
    )
    outcome = compile_text(text)

    [diagnostic] = outcome.failure.diagnostics
    assert diagnostic.message == 'No definition for "$LABLES"'
    assert [n.message for n in diagnostic.notes] == ["did you mean `$LABELS`?"]
    assert (diagnostic.span.line, diagnostic.span.column) == (12, 7)


def test_model_formats_default_and_unused_arguments_warn(
    compile_text: Compile, tmp_path: Path
) -> None:
    (tmp_path / "saved_model").mkdir()
    text = HEADER + (
        RAND + "  m:\n    model: ./saved_model\n    inputs: [rand]\n"
        "    args:\n      format: tensorflow\n      threads: 2\n      mode: fast\n"
    )
    outcome = compile_text(text)

    assert outcome.failure is None, outcome.rendered
    [warning] = outcome.engine.diagnostics
    assert warning.severity is Severity.WARNING
    assert warning.message == "Unused arguments for m: threads, mode"
    assert warning.span.line == 13


def test_missing_model_file_points_at_the_path(compile_text: Compile, tmp_path: Path) -> None:
    outcome = compile_text(HEADER + RAND + "  m:\n    model: ./absent.tflite\n    inputs: [rand]\n")

    [diagnostic] = outcome.failure.diagnostics
    assert diagnostic.message == 'Unable to find the model "./absent.tflite" for "m"'
    assert (diagnostic.span.line, diagnostic.span.column) == (9, 12)
    assert diagnostic.notes[0].message == f"looked for {tmp_path}/absent.tflite"


def test_missing_resource_file_is_reported(compile_text: Compile) -> None:
    text = HEADER + RAND + "resources:\n  MODEL:\n    type: binary\n    path: gone.bin\n"
    outcome = compile_text(text)

    assert outcome.messages == ['Unable to find "gone.bin" for resource "MODEL"']
    assert outcome.failure.diagnostics[0].span.line == 9


def test_stage_arity_rules(compile_text: Compile) -> None:
    text = HEADER + (
        "  two:\n    capability: RAW\n    outputs:\n"
        "      - {type: u8, dimensions: [1]}\n      - {type: u8, dimensions: [1]}\n"
        "  none:\n    capability: RAW\n"
        "  lonely:\n    proc-block: p\n    outputs: [{type: u8, dimensions: [1]}]\n"
        "  sink:\n    out: serial\n"
    )
    outcome = compile_text(text)

    assert outcome.messages == [
        'Capability "two" must declare exactly one output, found 2',
        'Capability "none" must declare exactly one output, found 0',
        'Proc block "lonely" needs at least one input',
        'Output "sink" needs at least one input',
    ]
    assert [d.span.line for d in outcome.failure.diagnostics] == [4, 9, 11, 14]


def test_independent_semantic_errors_are_reported_together(compile_text: Compile) -> None:
    text = (
        HEADER
        + RAND
        + ("  m:\n    model: $NOPE\n    inputs: [ghost]\n    args:\n      format: keras\n")
    )
    outcome = compile_text(text)

    assert outcome.messages == [
        'No definition for "$NOPE"',
        'Unable to find "ghost" to use as an input for "m"',
        "Expected the format to be one of onnx, tensorflow, tensorflow-js, tensorflow-lite, "
        'but found "keras"',
    ]


def test_model_format_defaults_to_tensorflow_lite() -> None:
    text = HEADER + RAND + "  m:\n    model: m.tflite\n    inputs: [rand]\n"
    text += "  n:\n    model: m.onnx\n    inputs: [rand]\n    args: {format: onnx}\n"
    stages = parse_runefile(SourceFile("Runefile.yml", text)).stages

    assert model_format(stages["m"]) == "tensorflow-lite"
    assert model_format(stages["n"]) == "onnx"
