"""lower-pipeline: the `rune` dialect becomes loops on memory plus calls to the host.

Every tensor gets a static buffer (a `memref.global`), every proc block a private kernel function
built by its library entry, and `rune_run` calls the host imports and kernels in schedule order,
returning the first non-zero status (docs/abi.md). The facts the host needs (tensor types, stage
names, capability args) move to the module's `rune.manifest` attribute, so that lowered IR can
still be packaged into a rune after being printed and parsed back.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from rune.abi.bounded import MAX_TENSOR_BYTES
from rune.abi.imports import ABI_VERSION, IMPORTS_BY_NAME, PIPELINE_IMPORTS
from rune.ir import dialect as rd
from rune.ir import kernel_units
from rune.ir.attr_values import from_attr
from rune.ir.attrs import (
    ManifestAttr,
    ManifestCapabilityAttr,
    ManifestModelAttr,
    ManifestOutputAttr,
    ManifestStageAttr,
    ManifestTensorAttr,
    ints,
)
from rune.ir.data_args import DATA_ARGS
from rune.ir.dialect import tensor_bytes, tensor_sig
from rune.ir.kernel_builder import buffer_type, kernel_arg_types, kernel_function
from rune.kernels.base import ProcBlock
from rune.passes.common import (
    COMPILED_MODELS_ATTR,
    DATA_ATTR,
    MANIFEST_ATTR,
    StageError,
    fused_chains,
    input_sigs,
    plan_of,
    tensors_of,
)
from rune.passes.common import fused_steps as _fused_steps
from rune.passes.common import library_block as _library_block
from rune.passes.common import typed_args as _typed_args
from xdsl.context import Context
from xdsl.dialects import arith, cf, func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IndexType,
    IntAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    StringAttr,
    UnitAttr,
    i32,
)
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass

ARENA = "rune.arena"


class _RunBuilder:
    """Builds `rune_run`: a chain of blocks, each call's status checked before going on."""

    def __init__(self) -> None:
        self.entry = Block()
        self.block = self.entry
        self.fail = Block(arg_types=[i32])
        self.fail.add_op(func.ReturnOp(self.fail.args[0]))
        self._blocks: list[Block] = []

    def const(self, value: int) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(value, i32))).results[0]

    def emit(self, op):
        self.block.add_op(op)
        return op

    def pointer(self, buffer: SSAValue) -> SSAValue:
        index = self.emit(memref.ExtractAlignedPointerAsIndexOp.get(buffer)).results[0]
        return self.emit(arith.IndexCastOp(index, i32)).results[0]

    def call_host(self, name: str, *args: SSAValue) -> None:
        status = self.emit(func.CallOp(IMPORTS_BY_NAME[name].symbol, list(args), [i32])).results[0]
        ok = self.emit(arith.CmpiOp(status, self.const(0), "eq")).results[0]
        following = Block()
        self.emit(cf.ConditionalBranchOp(ok, following, [], self.fail, [status]))
        self.block = following
        self._blocks.append(following)

    def finish(self) -> Region:
        self.emit(func.ReturnOp(self.const(0)))
        return Region([self.entry, *self._blocks, self.fail])


@dataclass(frozen=True)
class LowerPipelinePass(ModulePass):
    """Lower rune.pipeline to buffers, kernel functions and a `rune_run` entry point."""

    name = "lower-pipeline"

    simd: bool = False  # the target has wasm SIMD128: kernels may use explicit vectors

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pipelines = [p for p in op.ops if isinstance(p, rd.PipelineOp)]
        if len(pipelines) != 1:
            raise StageError("<module>", f"lower-pipeline needs exactly one rune.pipeline in the "
                             f"module, found {len(pipelines)}")
        pipeline = pipelines[0]
        lowered, manifest, data = _lower(pipeline, self.simd)
        op.body.block.erase_op(pipeline)
        for new_op in lowered:
            op.body.block.add_op(new_op)
        op.attributes[MANIFEST_ATTR] = manifest
        if data:
            op.attributes[DATA_ATTR] = DictionaryAttr(data)


def _lower(pipeline: rd.PipelineOp, simd: bool = False
           ) -> tuple[list, ManifestAttr, dict[str, DictionaryAttr]]:
    values = tensors_of(pipeline)
    tensors = {value: tid for tid, value in enumerate(values)}
    memory = plan_of(pipeline)
    arena_bytes = max(memory.arena_bytes.data, 1)
    if arena_bytes > MAX_TENSOR_BYTES:  # LLVM aborts on a data section past 4 GiB
        largest = max(values, key=lambda v: tensor_bytes(v.type))
        raise StageError(largest.owner.stage_name,
                         f"the pipeline needs {arena_bytes} bytes of tensor memory at once, more "
                         f"than the {MAX_TENSOR_BYTES} (2 GiB) a wasm32 rune may use")
    arena_type = MemRefType(IntegerType(8), [arena_bytes])
    globals_: list = [
        memref.GlobalOp.get(
            StringAttr(ARENA), arena_type, UnitAttr(),
            sym_visibility=StringAttr("private"), alignment=IntegerAttr(16, 64),
        )
    ]
    manifest_tensors = []
    for tid, value in enumerate(values):
        element, shape = tensor_sig(value.type)
        manifest_tensors.append(ManifestTensorAttr.of(
            id=IntAttr(tid), element_type=StringAttr(element), dimensions=ints(shape)))

    run = _RunBuilder()
    buffers: dict[SSAValue, SSAValue] = {}
    arena = run.emit(memref.GetGlobalOp(ARENA, arena_type)).results[0]

    def buffer(value: SSAValue) -> SSAValue:
        """A typed view of the tensor's slot in the arena."""
        if value not in buffers:
            tid = tensors[value]
            element, shape = tensor_sig(value.type)
            offset = run.emit(
                arith.ConstantOp(IntegerAttr(memory.tensors.data[tid].offset.data, IndexType()))
            ).results[0]
            view = memref.ViewOp(arena, offset, [], buffer_type(element, prod(shape)))
            buffers[value] = run.emit(view).results[0]
        return buffers[value]

    kernels: list[func.FuncOp] = []
    data: dict[str, DictionaryAttr] = {}  # kernel symbol -> its data argument (DATA_ATTR)
    capabilities: list[ManifestCapabilityAttr] = []
    models: list[ManifestModelAttr] = []
    outputs: list[ManifestOutputAttr] = []
    stages: list[ManifestStageAttr] = []
    for stage in pipeline.body.ops:
        ins = ints([tensors[v] for v in stage.operands])
        outs = ints([tensors[v] for v in stage.results])
        proc_block: StringAttr | NoneAttr = NoneAttr()
        if isinstance(stage, rd.CapabilityOp):
            index = len(capabilities)
            capabilities.append(ManifestCapabilityAttr.of(
                index=IntAttr(index), name=stage.stage, kind=stage.kind, args=stage.args,
                outputs=outs))
            value = stage.output
            run.call_host("capability_read", run.const(index), run.pointer(buffer(value)),
                          run.const(tensor_bytes(value.type)))
            kind = "capability"
        elif isinstance(stage, rd.ModelOp):
            index = len(models)
            models.append(ManifestModelAttr.of(
                index=IntAttr(index), name=stage.stage, format=stage.format, source=stage.source,
                inputs=ins, outputs=outs))
            for slot, value in enumerate(stage.inputs):
                run.call_host("model_set_input", run.const(index), run.const(slot),
                              run.pointer(buffer(value)), run.const(tensor_bytes(value.type)))
            run.call_host("model_invoke", run.const(index))
            for slot, value in enumerate(stage.outputs):
                run.call_host("model_get_output", run.const(index), run.const(slot),
                              run.pointer(buffer(value)), run.const(tensor_bytes(value.type)))
            kind = "model"
        elif isinstance(stage, rd.OutputOp):
            index = len(outputs)
            outputs.append(ManifestOutputAttr.of(
                index=IntAttr(index), name=stage.stage, kind=stage.kind, args=stage.args,
                inputs=ins))
            for slot, value in enumerate(stage.inputs):
                run.call_host("output_write", run.const(index), run.const(slot),
                              run.pointer(buffer(value)), run.const(tensor_bytes(value.type)))
            kind = "out"
        elif isinstance(stage, rd.KernelCallOp):  # a compiled model's operator
            operands = [buffer(v) for v in (*stage.inputs, *stage.outputs)]
            run.emit(func.CallOp(stage.callee.data, operands, []))
            kind = "kernel"
        else:
            assert isinstance(stage, rd.ProcBlockOp)
            block = _library_block(stage.stage_name, stage.kernel.data)
            args = _typed_args(block, stage.stage_name, _args(stage.args))
            kernel, kernel_globals = _kernel(stage, block, args, len(kernels), simd)
            data.update(_data_argument(stage, block, args, kernel.sym_name.data))
            kernels.append(kernel)
            globals_.extend(kernel_globals)
            operands = [buffer(v) for v in (*stage.inputs, *stage.outputs)]
            run.emit(func.CallOp(kernel.sym_name.data, operands, []))
            kind = "proc-block"
            proc_block = stage.kernel
        stages.append(ManifestStageAttr.of(
            name=stage.stage, inputs=ins, outputs=outs, kind=StringAttr(kind),
            proc_block=proc_block))

    run_func = func.FuncOp("rune_run", ([], [i32]), run.finish())
    used = {op.callee.root_reference.data for op in run_func.walk() if isinstance(op, func.CallOp)}
    imports = [
        func.FuncOp.external(imp.symbol, [i32] * len(imp.params), [i32])
        for imp in PIPELINE_IMPORTS if imp.symbol in used
    ]
    manifest = ManifestAttr.of(
        abi_version=IntAttr(ABI_VERSION), name=pipeline.sym_name, image=pipeline.image,
        tensors=ArrayAttr(manifest_tensors), capabilities=ArrayAttr(capabilities),
        models=ArrayAttr(models), outputs=ArrayAttr(outputs), stages=ArrayAttr(stages),
        memory=memory, compiled_models=pipeline.attributes.get(COMPILED_MODELS_ATTR, NoneAttr()))
    return [*globals_, *imports, *kernels, run_func], manifest, data


def _args(attr) -> dict:
    return from_attr(attr)  # type: ignore[return-value]


def _kernel(stage: rd.ProcBlockOp, block: ProcBlock, args: dict, number: int,
            simd: bool = False) -> tuple[func.FuncOp, list[memref.GlobalOp]]:
    """The stage's kernel function (`block` with its typed `args`), or a declaration of it
    when kernel_units compiles it apart."""
    n_in = len(stage.inputs)
    chains = fused_chains(stage)
    sigs = input_sigs(stage) + [tensor_sig(v.type) for v in stage.outputs]

    def build(builder, buffers):
        block.build(builder, buffers[:n_in], buffers[n_in:], args)

    name = f"kernel.{number}.{_sym(stage.stage_name)}"
    steps = [_fused_steps(c) for c in chains]
    units = kernel_units.active()
    description = None if units is None else _description(block, args, sigs, chains)
    if units is None or description is None:
        return kernel_function(name, sigs, build, steps, simd)
    units.take(name, description,
               lambda symbol: kernel_function(symbol, sigs, build, steps, simd))
    return func.FuncOp.external(name, kernel_arg_types(sigs, steps), []), []


def _data_argument(stage: rd.ProcBlockOp, block: ProcBlock, args: dict,
                   symbol: str) -> dict[str, DictionaryAttr]:
    """{symbol: what the backend needs to define the kernel's data tables} for a library
    kernel with a data argument (ir/data_args.py), else nothing."""
    data = DATA_ARGS.get(block.name)
    if data is None or _library_id(block) is None:
        return {}
    value = args[data.arg]
    return {symbol: DictionaryAttr({"stage": StringAttr(stage.stage_name),
                                    "kernel": StringAttr(block.name),
                                    "value": StringAttr(str(value))})}


def _code_args(block: ProcBlock, args: dict) -> dict:
    """`args` without the value of a data argument (it decides no code)."""
    data = DATA_ARGS.get(block.name)
    return args if data is None else {**args, data.arg: "(data)"}


def _description(block: ProcBlock, args: dict, sigs: list, chains: list) -> dict | None:
    """Everything that decides a library kernel's code (for kernel_units), or None when it or
    a step fused into it is not the library's (a custom or test-registered proc block)."""
    fused = []
    for chain in chains:
        steps = []
        for step in chain:
            step_block = _library_block(step.stage.data, step.kernel.data)
            steps.append({"kernel": _library_id(step_block), "makes": step.makes.data,
                          "reads": step.reads.data,
                          "args": _typed_args(step_block, step.stage.data, _args(step.args))})
        fused.append(steps)
    identities = [_library_id(block), *(step["kernel"] for chain in fused for step in chain)]
    if None in identities:
        return None
    return {"kernel": identities[0], "args": _code_args(block, args), "buffers": sigs,
            "fused": fused}


def _library_id(block: ProcBlock) -> str | None:
    """Which library class builds `block`, or None if it is not rune's own library's."""
    cls = type(block)
    if not cls.__module__.startswith("rune.kernels."):
        return None
    return f"{block.name}={cls.__module__}.{cls.__qualname__}"


def _sym(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)



