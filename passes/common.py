"""What the passes share, in one small module every pass imports (no pass imports another).

- `StageError`: a failure that names its stage, so the driver points at the stage's line;
- the facts one pass attaches and a later one reads: the memory plan (`plan_of`; plan-memory
  writes it under `PLAN_ATTR`) and the elementwise steps fused into a proc block's or a tfl
  op's inputs (`fused_chains`, `input_sigs`; fuse-elementwise and
  fuse-elementwise-into-model-inputs write them, `fused_steps` turns them into the load-time
  functions lower-pipeline and lower-tfl-to-loops build kernels with);
- `library_block`, `typed_args`: a stage's proc block and its typed arguments, or a StageError;
- `tensors_of`: every tensor of a pipeline, in the order the manifest numbers them;
- `MANIFEST_ATTR`: where lower-pipeline puts the typed manifest (insert-stage-probes adds to it),
  and `COMPILED_MODELS_ATTR`, where import-models lists the models it compiled for it.
"""

from __future__ import annotations

from functools import partial

from rune.ir import dialect as rd
from rune.ir.attr_values import from_attr
from rune.ir.attrs import FusedStepAttr, MemoryPlanAttr
from rune.ir.dialect import tensor_bytes
from rune.ir.kernel_builder import FusedStep
from rune.kernels import lookup
from rune.kernels.base import ProcBlock, ProcBlockError
from rune.passes.memory.lifetimes import memory_plan, tensors_of
from xdsl.dialects.builtin import ArrayAttr, NoneAttr, StringAttr
from xdsl.ir import Operation
from xdsl.rewriter import Rewriter

__all__ = ["COMPILED_MODELS_ATTR", "FUSED_ATTR", "MANIFEST_ATTR", "PLAN_ATTR", "StageError",
           "fuse_producer", "fused_chains", "fused_steps", "input_sigs", "library_block", "plan_of",
           "set_fused_chains", "tensors_of", "typed_args"]

PLAN_ATTR = "rune.memory_plan"
MANIFEST_ATTR = "rune.manifest"
DATA_ATTR = "rune.data"  # lower-pipeline, on the module: kernels' data arguments (ir/data_args.py)
COMPILED_MODELS_ATTR = "rune.compiled_models"  # import-models, on a pipeline
#: On a tfl op (which has no `fused` property): per input, the steps fused into its loads.
FUSED_ATTR = "rune.fused"


class StageError(Exception):
    """A stage cannot be lowered; names the stage so the driver can point at it."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def fused_chains(op: Operation) -> list[list[FusedStepAttr]]:
    """Per input, the steps already fused into it (a proc block's `fused` property, a tfl
    op's `rune.fused` attribute)."""
    chains = op.fused if isinstance(op, rd.ProcBlockOp) else op.attributes.get(FUSED_ATTR)
    if chains is None:
        return [[] for _ in op.operands]
    return [list(chain.data) for chain in chains.data]  # type: ignore[union-attr]


def set_fused_chains(op: Operation, chains: list[list[FusedStepAttr]]) -> None:
    value = ArrayAttr([ArrayAttr(chain) for chain in chains])
    if isinstance(op, rd.ProcBlockOp):
        op.fused = value
    else:
        op.attributes[FUSED_ATTR] = value


def fuse_producer(consumer: Operation, slot: int) -> None:
    """Compute the element-wise proc block that makes `consumer`'s input `slot` on that
    input's loads: its step (after its own chain) joins the front of the slot's chain, the
    consumer reads its input, and it is erased (its output had no other user)."""
    producer = consumer.operands[slot].owner
    assert isinstance(producer, rd.ProcBlockOp)
    step = FusedStepAttr(producer.stage, producer.kernel, producer.args,
                         StringAttr(input_sigs(producer)[0][0]),  # after its own chain
                         StringAttr(rd.tensor_sig(producer.outputs[0].type)[0]))
    chains = fused_chains(consumer)
    chains[slot] = [*fused_chains(producer)[0], step, *chains[slot]]
    consumer.operands[slot] = producer.inputs[0]
    set_fused_chains(consumer, chains)
    Rewriter.erase_op(producer)


def input_sigs(op: Operation) -> list[tuple[str, tuple[int, ...]]]:
    """What the kernel sees on each input: the fused chain's result type, or the tensor's own."""
    sigs = []
    for value, chain in zip(op.operands, fused_chains(op), strict=True):
        element, shape = rd.tensor_sig(value.type)
        sigs.append((chain[-1].makes.data if chain else element, shape))
    return sigs


def plan_of(pipeline: rd.PipelineOp) -> MemoryPlanAttr:
    """The pipeline's plan, or a naive one when plan-memory did not run (-O0)."""
    attr = pipeline.attributes.get(PLAN_ATTR)
    if attr is None:
        return memory_plan(pipeline, "naive")
    if not isinstance(attr, MemoryPlanAttr):
        raise ValueError(f"{PLAN_ATTR} must be a #rune.memory_plan, got {attr}")
    absent = [name for (name, _), value in zip(attr.fields(), attr.parameters, strict=True)
              if isinstance(value, NoneAttr)]  # fmt: skip
    if absent:  # optional in a host's manifest, but lowering needs the whole plan
        raise ValueError(f"{PLAN_ATTR} needs the fields {', '.join(absent)}")
    values = tensors_of(pipeline)
    slots = attr.tensors.data
    if [slot.id.data for slot in slots] != list(range(len(values))):
        raise ValueError(f"{PLAN_ATTR} must give tensors 0 to {len(values) - 1} a slot each, "
                         "in order")
    for slot, value in zip(slots, values, strict=True):
        end = slot.offset.data + tensor_bytes(value.type)
        if slot.bytes.data != tensor_bytes(value.type) or end > attr.arena_bytes.data:
            raise ValueError(f"{PLAN_ATTR}: tensor {slot.id.data} ({tensor_bytes(value.type)} "
                             f"bytes at {slot.offset.data}) does not fit its slot or the arena")
    return attr


def library_block(stage: str, kernel: str) -> ProcBlock:
    try:
        block = lookup(kernel)
    except ProcBlockError as exc:
        raise StageError(stage, str(exc)) from None
    if block is None:
        raise StageError(stage, f"unknown proc block `{kernel}`")
    return block


def typed_args(block: ProcBlock, stage: str, raw: dict) -> dict:
    """Arguments with types and defaults, whoever wrote the IR (the frontend, a test, a user)."""
    try:
        return block.parse_args(raw)
    except ProcBlockError as exc:
        raise StageError(stage, str(exc)) from None


def fused_steps(chain: list[FusedStepAttr]) -> tuple[FusedStep, ...]:
    """The load-time functions of a fused chain (see fuse-elementwise)."""
    steps = []
    for step in chain:
        block = library_block(step.stage.data, step.kernel.data)
        args = typed_args(block, step.stage.data, from_attr(step.args))  # type: ignore[arg-type]
        steps.append(FusedStep(partial(_apply_step, block, args, step.makes.data),
                               step.reads.data,
                               block.monotone(args, step.reads.data, step.makes.data)))
    return tuple(steps)


def _apply_step(block, args: dict, out_element: str, builder, value):
    return block.apply(builder, value, args, out_element)
