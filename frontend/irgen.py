"""Emit the `rune` dialect from a checked Runefile: one op per stage, in execution order."""

from __future__ import annotations

from rune.frontend import confine
from rune.frontend.ast import Argument, Resource, Runefile, Stage, StageKind
from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError, error
from rune.frontend.resolve import resolve
from rune.frontend.semantics import execution_order
from rune.frontend.sources import confined_path, model_source, pipeline_name
from rune.ir import dialect as rd
from rune.ir.attr_values import to_attr
from rune.kernels.base import ProcBlockError
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region, SSAValue


def resource_text(resource: Resource, directory: str) -> str | None:
    """A resource's value as text (inline, or the file it names), or None when it has none."""
    if resource.inline is not None:
        return resource.inline
    if resource.path is not None:
        try:
            return confine.current(directory).read_text(resource.path, directory)
        except confine.ConfinementError as exc:
            raise error(f"cannot read resource {resource.name}: {exc}",
                        resource.path_span or resource.span) from None
    return None


def _arg_value(runefile: Runefile, arg: Argument) -> str | int | float | bool:
    if arg.resource is None:
        return arg.value
    text = resource_text(runefile.resources[arg.resource], runefile.directory)
    if text is None:
        raise error(f"resource ${arg.resource} used by argument `{arg.name}` has no value",
                    arg.span)
    return text


def _conversion_args(runefile: Runefile, stage: Stage) -> DictionaryAttr:
    """The arguments convert-models reads; `representative-data` as an absolute path."""
    args: dict[str, str] = {}
    if "quantize" in stage.args:
        args["quantize"] = str(stage.args["quantize"].value)
    if "run" in stage.args:  # compiled or handler (import-models)
        args["run"] = str(stage.args["run"].value)
    if "representative-data" in stage.args:
        arg = stage.args["representative-data"]
        args["representative-data"] = confined_path(runefile, str(arg.value), arg.span)
    return _args_attr(args)


def _tensor_types(stage: Stage) -> list:
    return [rd.tensor_type(t.element_type, t.dimensions) for t in stage.outputs]


def emit_ir(runefile: Runefile, engine: DiagnosticEngine) -> ModuleOp:
    """Build the module; errors become one DiagnosticError, warnings go to `engine`."""
    block = Block()
    values: dict[str, list[SSAValue]] = {}
    errors = []
    for name in execution_order(runefile):
        stage = runefile.stages[name]
        if any(i.stage not in values for i in stage.inputs):
            continue  # an input stage already failed; its error is the one worth reading
        try:
            op = _emit_stage(runefile, stage, values, engine)
        except DiagnosticError as exc:
            errors.extend(exc.diagnostics)
            continue
        block.add_op(op)
        values[name] = list(op.results)
    if errors:
        raise DiagnosticError(errors)
    return ModuleOp([rd.PipelineOp(pipeline_name(runefile), runefile.image, Region(block))])


def _args_attr(args: dict) -> DictionaryAttr:
    return DictionaryAttr({name: to_attr(value) for name, value in args.items()})


def _emit_stage(runefile: Runefile, stage: Stage, values: dict[str, list[SSAValue]],
                engine: DiagnosticEngine):
    inputs = [values[i.stage][i.index] for i in stage.inputs]
    raw_args = {name: _arg_value(runefile, arg) for name, arg in stage.args.items()}
    if stage.kind is StageKind.CAPABILITY:
        args = _args_attr(raw_args)
        return rd.CapabilityOp(stage.name, stage.target, args, _tensor_types(stage)[0])
    if stage.kind is StageKind.MODEL:
        fmt = str(raw_args.get("format", "tensorflow-lite"))
        return rd.ModelOp(stage.name, fmt, model_source(runefile, stage), inputs,
                          _tensor_types(stage), _conversion_args(runefile, stage))
    if stage.kind is StageKind.OUT:
        args = _args_attr(raw_args)
        return rd.OutputOp(stage.name, stage.target, args, inputs)
    try:
        resolved = resolve(stage.target, runefile.directory)
        typed = resolved.block.parse_args(raw_args)
    except ProcBlockError as exc:
        raise error(str(exc), stage.target_span) from None
    if resolved.warning:
        engine.warn(resolved.warning, stage.target_span)
    args = _args_attr(typed)
    return rd.ProcBlockOp(stage.name, resolved.kernel, args, inputs, _tensor_types(stage))



