"""The compiler as a library: Runefile → rune IR → passes → llvm → wasm → `.rune`.

`runec` is a thin command line over `compile_runefile`; tests and other programs call the stages
directly. Every failure a user can cause surfaces as a `DiagnosticError`.
"""

from __future__ import annotations

# isort: off
import rune.ir.lazy_formats  # noqa: F401 - first: before any xDSL dialect is defined
# isort: on
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from rune.abi.errors import RuneLoadError
from rune.abi.manifest import Manifest, decode
from rune.backend_wasm.codegen import emit_assembly, emit_object, optimise
from rune.backend_wasm.data_object import DataArgument, data_object, link_data
from rune.backend_wasm.support import add_support_functions
from rune.backend_wasm.target import (  # noqa: F401 - OPT_LEVEL_ENV re-exported
    OPT_LEVEL_ENV,
    TARGETS,
    Target,
    resolve_target,
    target_machine,
)
from rune.backend_wasm.translate import TranslationError, translate_module
from rune.frontend import confine
from rune.frontend.ast import Runefile
from rune.frontend.diagnostics import DiagnosticEngine, error
from rune.frontend.irgen import emit_ir
from rune.frontend.parser import load_runefile
from rune.frontend.semantics import check_runefile
from rune.ir.attrs import ManifestAttr, plain_value
from rune.ir.dialect import Rune
from rune.ir.kernel_units import separate_kernels
from rune.ir.llvm_ext import LLVMExt
from rune.ir.simd import Simd
from rune.ir.tfl import Tfl
from rune.passes.common import DATA_ATTR, StageError
from rune.passes.import_models import any_compiled
from rune.passes.instrumentation import Instrumentation, PassFailure, run_pipeline
from rune.passes.lower_pipeline import MANIFEST_ATTR
from rune.passes.registry import default_pipeline, import_pipeline, parse_pipeline
from rune.tools.code_cache import link_and_package
from rune.tools.kernel_cache import KernelCache, link_units, post_lowering
from rune.tools.pass_options import EMIT_KINDS  # noqa: F401 - the emit kinds, re-exported
from xdsl.context import Context
from xdsl.dialects import arith, builtin, cf, func, llvm, math, memref, scf, vector
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

#: Outputs whose library kernels are compiled apart, each cacheable (see tools/kernel_cache.py).
SEPARATE_KERNEL_EMITS = ("llvm", "asm", "obj", "wasm", "rune")


def make_context() -> Context:
    """A context that knows every dialect a rune passes through."""
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, scf.Scf, cf.Cf, memref.MemRef,
                    math.Math, llvm.LLVM, Rune, Tfl, LLVMExt, vector.Vector, Simd):
        ctx.load_dialect(dialect)
    return ctx


def parse_ir(text: str, name: str = "<ir>") -> ModuleOp:
    """Parse MLIR text (any stage) back into a module, as `rune-opt` does."""
    try:
        module = Parser(make_context(), text, name).parse_module()
        module.verify()
    except (ParseError, VerifyException) as exc:
        raise error(f"invalid IR in {name}: {exc}") from None
    return module


@dataclass(frozen=True)
class PipelineCode:
    """A wasm32 compile's parts before linking: the pipeline's optimised object, which depends
    on code alone, the data arguments whose tables link beside it, and the manifest."""

    obj: bytes
    data: list[DataArgument]
    manifest: Manifest


@dataclass
class CompileOptions:
    opt_level: str | None = None  # None: the target's default (-O2 for wasm32, -Os for MCUs)
    passes: str | None = None
    target: str = "wasm32"
    profile: bool = False  # add the stage probes to the default pipeline (runec --profile)
    precision: str = "exact"  # "relaxed": start the default pipeline with relax-precision
    models: str | None = None  # None: the target's default (handler on wasm32, else compiled)
    instrument: Instrumentation = field(default_factory=Instrumentation)
    timings: dict[str, float] = field(default_factory=dict)
    manifest: Manifest | None = None  # once the pipeline is lowered (memory report, tools)
    # Confinement (frontend/confine.py): which files a Runefile may make the compiler read.
    root: Path | None = None  # None: the Runefile's folder
    allow_paths: tuple[Path, ...] = ()  # further folders that may be read
    allow_custom_blocks: bool | None = None  # None: only from inside root; False: never
    max_file_size: int = confine.DEFAULT_MAX_FILE_SIZE  # bytes, for every file read
    kernel_cache: Path | None = None  # where compiled kernels are kept (tools/kernel_cache.py)
    code: PipelineCode | None = None  # a wasm or rune's parts, once compiled (tools/code_cache.py)

    def confinement(self, runefile: str | Path) -> confine.Confinement:
        return confine.Confinement.for_runefile(runefile, self.root, self.allow_paths,
                                                self.allow_custom_blocks, self.max_file_size)

    def resolved_target(self) -> Target:
        """The target at the requested -O level; else $RUNE_OPT_LEVEL; else the target's own."""
        try:
            return resolve_target(self.target, self.opt_level)
        except ValueError as exc:
            raise error(str(exc)) from None

    def pipeline(self) -> str:
        if self.passes is not None:
            return self.passes
        target = self.resolved_target()
        return default_pipeline(target.opt_level, self.models or target.models, self.profile,
                                self.precision, "+simd128" in target.features)


@dataclass
class Frontend:
    runefile: Runefile
    module: ModuleOp
    engine: DiagnosticEngine


def run_frontend(path: str | Path, engine: DiagnosticEngine | None = None,
                 options: CompileOptions | None = None,
                 checked: Runefile | None = None) -> Frontend:
    """Parse, check and emit the rune dialect for one Runefile, inside the confinement in
    force (compile_runefile's), else the one `options` describe. `checked` is the Runefile
    at `path` already parsed and checked (with `engine`), as runec does for its cache key."""
    engine = engine or DiagnosticEngine()
    with _confined(path, options):
        runefile = checked
        if runefile is None:
            runefile, _ = load_runefile(path, engine)
            check_runefile(runefile, engine)
        module = emit_ir(runefile, engine)
        module.verify()
    return Frontend(runefile, module, engine)


@contextmanager
def _confined(path: str | Path, options: CompileOptions | None) -> Iterator[None]:
    if options is None and confine.active() is not None:
        yield
        return
    with confine.confined((options or CompileOptions()).confinement(path)):
        yield


def run_passes(module: ModuleOp, options: CompileOptions, runefile: Runefile | None = None) -> None:
    """Apply the textual pipeline in place; a failing stage becomes a diagnostic at its line,
    a failing pass a diagnostic naming it and its reproducer file."""
    spec = options.pipeline()
    try:
        parse_pipeline(spec)
    except Exception as exc:  # xDSL reports bad specs with several exception types
        raise error(f"invalid pass pipeline {spec!r}: {exc}") from None
    instrument = options.instrument
    instrument.user_errors = (StageError,)
    try:
        run_pipeline(module, spec, make_context(), instrument)
    except StageError as exc:
        stage = runefile.stages.get(exc.stage) if runefile else None
        raise error(str(exc), stage.span if stage else None) from None
    except PassFailure as exc:
        raise error(str(exc)) from None
    finally:
        for name, seconds in instrument.timings.items():
            options.timings[f"pass {name}"] = seconds
        instrument.timings.clear()


def lower_to_llvm_ir(module: ModuleOp, target: Target, kernels: KernelCache | None = None,
                     data: list[DataArgument] | None = None):
    """The llvm-dialect module, with the kernels compiled apart and the tables of `data` linked
    in, as optimised LLVM IR for `target`."""
    machine = target_machine(target)
    attributes = ("optsize",) if target.optimise_for_size else ()
    try:
        translated = translate_module(module, target.triple, str(machine.target_data), attributes)
    except TranslationError as exc:
        raise error(f"cannot generate code: {exc}") from None
    if not target.bulk_memory and not target.native:  # native firmware links its own libc
        add_support_functions(translated)

    def link(parsed):
        if kernels is not None:
            parsed = link_units(parsed, kernels.units)
        if data:
            link_data(parsed, data, target)
        return parsed

    return optimise(translated, target, link)


def data_arguments(module: ModuleOp) -> list[DataArgument]:
    """The kernels' data arguments lower-pipeline recorded on the module (DATA_ATTR)."""
    recorded = module.attributes.get(DATA_ATTR)
    if not isinstance(recorded, DictionaryAttr):
        return []
    return [DataArgument(symbol, *(entry.data[k].data for k in ("stage", "kernel", "value")))
            for symbol, entry in recorded.data.items()]


def manifest_of(module: ModuleOp) -> Manifest:
    """The module's typed `#rune.manifest` as the ABI's manifest, read (and checked) once: the one
    place the IR's form becomes the ABI's, and hand-edited IR may be wrong."""
    manifest = module.attributes.get(MANIFEST_ATTR)
    if not isinstance(manifest, ManifestAttr):
        raise error(f"the module has no {MANIFEST_ATTR} attribute; was lower-pipeline run?")
    try:
        return decode(plain_value(manifest), draft=True)
    except RuneLoadError as exc:
        raise error(f"the {MANIFEST_ATTR} attribute is not a valid manifest: {exc}") from None


def compile_runefile(path: str | Path, emit: str = "rune",
                     options: CompileOptions | None = None,
                     engine: DiagnosticEngine | None = None,
                     checked: Runefile | None = None) -> bytes | str:
    """Compile up to the stage named by `emit` (one of EMIT_KINDS) and return its output;
    `checked` as for `run_frontend`."""
    with _confined(path, options):
        return _compile_confined(path, emit, options or CompileOptions(), engine, checked)


def _compile_confined(path: str | Path, emit: str, options: CompileOptions,
                      engine: DiagnosticEngine | None, checked: Runefile | None) -> bytes | str:
    with _timed(options.timings, "frontend"):
        front = run_frontend(path, engine, checked=checked)
    if emit == "ast":
        return _format_ast(front.runefile)
    if emit == "ir":  # the frontend's IR (compiled models imported), or after --passes
        with _timed(options.timings, "passes"):
            if options.passes:
                run_passes(front.module, options, front.runefile)
            elif any_compiled(front.module, options.models or options.resolved_target().models):
                run_passes(front.module, replace(options, passes=import_pipeline(
                    options.models or options.resolved_target().models)), front.runefile)
        return str(front.module)
    kernels = _kernel_cache(emit, options)
    with _timed(options.timings, "passes"):
        if kernels is None:
            run_passes(front.module, options, front.runefile)
        else:
            with separate_kernels(kernels):
                run_passes(front.module, options, front.runefile)
            options.timings[f"pass {kernels.summary()}"] = kernels.seconds  # in lower-pipeline
    return compile_module(front.module, emit, options, kernels)


def _kernel_cache(emit: str, options: CompileOptions) -> KernelCache | None:
    """Library kernels are compiled apart (and cached in `options.kernel_cache`) when the
    output is LLVM or later, from the default pipeline, with no IR dump asked for (a dump
    shows every kernel's code)."""
    instrument = options.instrument
    if emit not in SEPARATE_KERNEL_EMITS or options.passes is not None or \
            instrument.print_before or instrument.print_after or instrument.print_after_all:
        return None
    passes = post_lowering(list(parse_pipeline(options.pipeline()).passes))
    if passes is None:
        return None
    return KernelCache(options.resolved_target(), passes, options.kernel_cache)


def compile_module(module: ModuleOp, emit: str, options: CompileOptions,
                   kernels: KernelCache | None = None) -> bytes | str:
    """The backend half: an llvm-dialect module (with its manifest, and the kernels compiled
    apart that it declares) to `emit`."""
    manifest = manifest_of(module) if MANIFEST_ATTR in module.attributes else None
    if manifest is not None:
        options.manifest = manifest
    if emit == "llvm-dialect":
        return str(module)
    target = options.resolved_target()
    data = data_arguments(module)
    apart = emit in ("wasm", "rune") and not target.native  # data tables in an object of their own
    with _timed(options.timings, "llvm"):
        llvm_module = lower_to_llvm_ir(module, target, kernels, None if apart else data)
        if emit == "llvm":
            return str(llvm_module)
        if emit == "asm":
            return emit_assembly(llvm_module, target)
        obj = emit_object(llvm_module, target)
        objects = [obj, data_object(data, target)] if apart and data else [obj]
    if emit == "obj":
        return obj
    if target.native:
        raise error(f"target {target.name} produces an object for firmware to link; "
                    "use --emit=obj (runec writes the C header beside it)")
    options.code = PipelineCode(obj, data, manifest or manifest_of(module))
    return link_and_package(objects, emit, target, options.code.manifest, options.timings)


def _format_ast(runefile: Runefile) -> str:
    lines = [f"Runefile version={runefile.version} image={runefile.image!r}"]
    for stage in runefile.stages.values():
        lines.append(f"  {stage.kind.value} {stage.name} ({stage.span}) target={stage.target!r}")
        for i in stage.inputs:
            lines.append(f"    input {i.stage}.{i.index}")
        for t in stage.outputs:
            lines.append(f"    output {t.element_type}{list(t.dimensions)}")
        for arg in stage.args.values():
            lines.append(f"    arg {arg.name} = {arg.value!r}")
    for resource in runefile.resources.values():
        lines.append(f"  resource {resource.name} type={resource.type.value}")
    return "\n".join(lines) + "\n"


@contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Accumulate wall time per phase for `--time-passes`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
