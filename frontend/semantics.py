"""Checks a parsed Runefile must pass before lowering: names resolve, data flows forward,
each stage has the inputs and outputs its kind needs, and the files it names exist."""

from __future__ import annotations

from pathlib import Path

from rune.abi.bounded import MAX_INT_DIGITS, BoundsError, tensor_bytes
from rune.frontend import confine
from rune.frontend.ast import Argument, ResourceType, Runefile, Stage, StageKind
from rune.frontend.diagnostics import DiagnosticEngine, ErrorCollector, Note, suggestion
from rune.frontend.graph import Cycle, execution_order, find_cycles
from rune.frontend.source import Span
from rune.ir.vocabulary import CAPABILITY_COUNT_ARGS, CAPABILITY_KINDS, OUTPUT_KINDS, element_bytes

__all__ = [
    "DEFAULT_MODEL_FORMAT",
    "MODEL_ARGS",
    "MODEL_FORMATS",
    "check_runefile",
    "execution_order",
    "model_format",
]

MODEL_FORMATS = ("onnx", "tensorflow", "tensorflow-js", "tensorflow-lite")
DEFAULT_MODEL_FORMAT = "tensorflow-lite"
# Model arguments: the format, and the two that steer converting a TensorFlow model to TFLite.
MODEL_ARGS = ("format", "quantize", "representative-data", "run")
RUN_MODES = ("compiled", "handler")
QUANTIZE_MODES = ("int8",)

KIND_LABELS = {
    StageKind.CAPABILITY: "Capability",
    StageKind.MODEL: "Model",
    StageKind.PROC_BLOCK: "Proc block",
    StageKind.OUT: "Output",
}


def check_runefile(runefile: Runefile, engine: DiagnosticEngine) -> None:
    """Raise one DiagnosticError with every error found; warnings go to `engine`."""
    errors = ErrorCollector()
    for stage in runefile.stages.values():
        _check_target(runefile, stage, errors)
        _check_inputs(runefile, stage, errors)
        _check_args(runefile, stage, errors, engine)
        _check_arity(stage, errors)
        _check_output_sizes(stage, errors)
    for cycle in find_cycles(runefile):
        _report_cycle(runefile, cycle, errors)
    _check_model_files(runefile, errors)
    _check_resource_files(runefile, errors)
    errors.raise_if_any()


def model_format(stage: Stage) -> str:
    """A model stage's `format` argument, or the format the original assumed without one."""
    arg = stage.args.get("format")
    return str(arg.value) if arg is not None else DEFAULT_MODEL_FORMAT


def _check_target(runefile: Runefile, stage: Stage, errors: ErrorCollector) -> None:
    kinds = {StageKind.CAPABILITY: (CAPABILITY_KINDS, "capability"),
             StageKind.OUT: (OUTPUT_KINDS, "output kind")}.get(stage.kind)
    if kinds is not None and stage.target not in kinds[0]:
        errors.error(f'unknown {kinds[1]} "{stage.target}" for "{stage.name}"; expected one of '
                     f"{', '.join(kinds[0])}", stage.target_span,
                     *suggestion(stage.target.strip(), kinds[0]))
    if stage.kind is not StageKind.MODEL:
        return
    if stage.target.startswith("$"):
        _check_resource_reference(runefile, stage.target[1:], stage.target_span, errors)


def _check_model_files(runefile: Runefile, errors: ErrorCollector) -> None:
    """After the structural checks, so a Runefile's first error is still its first mistake."""
    for stage in runefile.stages.values():
        if stage.kind is StageKind.MODEL and not stage.target.startswith("$"):
            _require_path(runefile, stage.target, f'Unable to find the model "{stage.target}" '
                          f'for "{stage.name}"', stage.target_span, errors, directory=True)


def _require_path(runefile: Runefile, relative: str, message: str, span: Span,
                  errors: ErrorCollector, *, directory: bool = False,
                  path_span: Span | None = None) -> None:
    """An error at `span` when `relative` (to the Runefile) does not exist, saying where we
    looked; at `path_span` when it may not be read (confine.py)."""
    confinement = confine.current(runefile.directory)
    try:
        confinement.resolve(relative, runefile.directory)
    except confine.ConfinementError as exc:
        errors.error(str(exc), path_span or span)
        return
    path = Path(runefile.directory) / relative
    if not path.exists():
        errors.error(message, span, Note(f"looked for {path}"))
        return
    try:
        confinement.check_file(relative, runefile.directory, directory=directory)
    except confine.ConfinementError as exc:
        errors.error(str(exc), path_span or span)


def _check_resource_reference(
    runefile: Runefile, name: str, span: Span, errors: ErrorCollector
) -> None:
    if name not in runefile.resources:
        candidates = [f"${known}" for known in runefile.resources]
        errors.error(f'No definition for "${name}"', span, *suggestion(f"${name}", candidates))


def _check_inputs(runefile: Runefile, stage: Stage, errors: ErrorCollector) -> None:
    for source in stage.inputs:
        upstream = runefile.stages.get(source.stage)
        if upstream is None:
            producers = [s.name for s in runefile.stages.values() if s.kind is not StageKind.OUT]
            errors.error(
                f'Unable to find "{source.stage}" to use as an input for "{stage.name}"',
                source.span,
                *suggestion(source.stage, producers),
            )
        elif upstream.kind is StageKind.OUT:
            errors.error(
                f'"{source.stage}" is an output stage, so it has nothing to pass to "{stage.name}"',
                source.span,
            )
        elif source.index >= len(upstream.outputs):
            count = len(upstream.outputs)
            errors.error(
                f'"{source.stage}.{source.index}" is out of range for "{stage.name}": '
                f'"{source.stage}" declares {count} output{"" if count == 1 else "s"}',
                source.span,
                Note(f'"{source.stage}" is defined here', upstream.span),
            )


def _check_args(
    runefile: Runefile, stage: Stage, errors: ErrorCollector, engine: DiagnosticEngine
) -> None:
    for arg in stage.args.values():
        if arg.resource is not None:
            _check_resource_reference(runefile, arg.resource, arg.span, errors)
    if stage.kind is StageKind.CAPABILITY:
        _check_count_args(stage, errors)
    if stage.kind is not StageKind.MODEL:
        return
    if model_format(stage) not in MODEL_FORMATS:
        errors.error(
            f"Expected the format to be one of {', '.join(MODEL_FORMATS)}, "
            f'but found "{model_format(stage)}"',
            stage.args["format"].span,
        )
    _check_conversion_args(runefile, stage, errors)
    run = stage.args.get("run")  # compiled into the rune or through the host's handler
    if run is not None and (run.resource is not None or str(run.value) not in RUN_MODES):
        errors.error(f"Expected `run` to be one of {', '.join(RUN_MODES)}, "
                     f'but found "{run.value}"', run.span)
    # Other arguments are unknown to every model; the original warned rather than failed.
    unused: list[Argument] = [arg for name, arg in stage.args.items() if name not in MODEL_ARGS]
    if unused:
        names = ", ".join(arg.name for arg in unused)
        engine.warn(f"Unused arguments for {stage.name}: {names}", unused[0].span)


def _check_conversion_args(runefile: Runefile, stage: Stage, errors: ErrorCollector) -> None:
    """`quantize` and `representative-data` steer the compile-time TensorFlow -> TFLite
    conversion (passes/convert_models.py): int8 only, with a calibration file that exists."""
    quantize = stage.args.get("quantize")
    data = stage.args.get("representative-data")
    given = [arg for arg in (quantize, data) if arg is not None]
    if not given:
        return
    if model_format(stage) != "tensorflow":
        errors.error(
            f"`{given[0].name}` applies only to models with format tensorflow (a SavedModel or "
            f'Keras model that runec converts to TFLite), but "{stage.name}" has format '
            f"{model_format(stage)}",
            given[0].span,
        )
        return
    if quantize is not None and (quantize.resource is not None
                                 or str(quantize.value) not in QUANTIZE_MODES):
        errors.error(
            f"Expected `quantize` to be one of {', '.join(QUANTIZE_MODES)}, "
            f'but found "{quantize.value}"',
            quantize.span,
        )
    if quantize is not None and data is None:
        errors.error(
            f'int8 quantization of "{stage.name}" needs `representative-data`: an .npy file of '
            "sample inputs to calibrate with",
            quantize.span,
        )
    if data is None:
        return
    if quantize is None:
        errors.error("`representative-data` is only used together with `quantize: int8`",
                     data.span)
    if data.resource is not None or not isinstance(data.value, str):
        errors.error("`representative-data` must be the path of an .npy file", data.span)
        return
    _require_path(runefile, data.value, f'Unable to find the representative data '
                  f'"{data.value}" for "{stage.name}"', data.span, errors)


def _check_count_args(stage: Stage, errors: ErrorCollector) -> None:
    """A capability's counts (`length`, `hz`, ...) are non-negative integers, or strings of ASCII
    digits (`"²"` is a digit to `str.isdigit`, not to `int`)."""
    for name in CAPABILITY_COUNT_ARGS:
        arg = stage.args.get(name)
        if arg is None or arg.resource is not None:
            continue
        value = arg.value
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.isascii() and text.isdigit() \
                and len(text) <= MAX_INT_DIGITS:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            continue
        errors.error(f"argument `{name}` of capability {stage.target} must be a non-negative "
                     f"integer, found {value!r}", arg.span)


def _check_output_sizes(stage: Stage, errors: ErrorCollector) -> None:
    """Every tensor is some stage's declared output: bound its bytes here, before any pass or
    kernel does arithmetic on its dimensions."""
    for tensor in stage.outputs:
        try:
            tensor_bytes(tensor.dimensions, element_bytes(tensor.element_type),
                         f'output of "{stage.name}"')
        except BoundsError as exc:
            errors.error(str(exc), tensor.span)


def _check_arity(stage: Stage, errors: ErrorCollector) -> None:
    label = f'{KIND_LABELS[stage.kind]} "{stage.name}"'
    if stage.kind is StageKind.CAPABILITY:
        if len(stage.outputs) != 1:
            errors.error(
                f"{label} must declare exactly one output, found {len(stage.outputs)}", stage.span
            )
        if stage.inputs:
            errors.error(f"{label} cannot have inputs", stage.inputs[0].span)
    elif not stage.inputs:
        errors.error(f"{label} needs at least one input", stage.span)


def _check_resource_files(runefile: Runefile, errors: ErrorCollector) -> None:
    for resource in runefile.resources.values():
        if resource.path is not None:
            _require_path(runefile, resource.path, f'Unable to find "{resource.path}" for '
                          f'resource "{resource.name}"', resource.span, errors,
                          directory=resource.type is ResourceType.BINARY,
                          path_span=resource.path_span)


def _report_cycle(runefile: Runefile, cycle: Cycle, errors: ErrorCollector) -> None:
    """Name the loop hop by hop in data-flow order, each note at the input that makes it."""
    checked = cycle[0][0]
    notes = []
    for position, (consumer, source) in enumerate(reversed(cycle)):
        ending = ", completing the cycle." if position == len(cycle) - 1 else ""
        notes.append(Note(f'... which passes data to "{consumer}"{ending}', source.span))
    errors.error(f'Cycle detected when checking "{checked}"', runefile.stages[checked].span, *notes)
