"""transpose: permute a tensor's axes; the default perm turns NHWC into NCHW."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels._modern_ops import (
    NUMERIC,
    check_arity,
    check_element,
    describe,
    int_list,
)
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

UNROLL = 4  # innermost input axes this short are unrolled (image channels)
PIXELS = 4  # pixels scattered per step of a staged row (one f32x4 per plane)


def _strides(shape: Sequence[int]) -> list[int]:
    return [prod(shape[axis + 1:]) for axis in range(len(shape))]


class Transpose(ProcBlock):
    name = "transpose"
    accepts_fused_inputs = True  # reads its input only through builder.load
    reads_inputs_once = True
    summary = ("output axis i is input axis perm[i] (numpy.transpose); "
               "0,3,1,2 is NHWC->NCHW, 0,2,3,1 is NCHW->NHWC")
    origin = "new in this compiler (numpy.transpose / tf.transpose)"
    arg_specs = (ArgSpec("perm", str, default="0,3,1,2",
                         doc="comma-separated permutation of the axes"),)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        check_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        check_element(self.name, "input", source, NUMERIC)
        perm = int_list("perm", str(args["perm"]))
        rank = len(source.shape)
        if sorted(perm) != list(range(rank)):
            raise ProcBlockError(
                f"`perm` {','.join(map(str, perm))} is not a permutation of the "
                f"{rank} axes of {describe(source)} (expected each of "
                f"{', '.join(map(str, range(rank)))} once)")
        wanted = TensorSig(source.element, tuple(source.shape[axis] for axis in perm))
        if result != wanted:
            raise ProcBlockError(
                f"transpose of {describe(source)} by perm {','.join(map(str, perm))} gives "
                f"{describe(wanted)}, not {describe(result)}")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer],
              outputs: Sequence[Buffer], args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        perm = int_list("perm", str(args["perm"]))
        in_strides, out_strides = _strides(source.shape), _strides(result.shape)
        if source.shape[-1] <= UNROLL and perm[-1] != len(perm) - 1:
            # A short innermost input axis (an image's channels): walk the input in order and
            # unroll that axis, so the reads form one contiguous group (a wide load and
            # shuffles once LLVM vectorises) and each output plane is written contiguously.
            dims, src_steps = list(source.shape), in_strides
            dst_steps = [out_strides[perm.index(axis)] for axis in range(len(perm))]
            if len(dims) >= 2:
                self._walk_rows(builder, source, result, dims, src_steps, dst_steps)
                return
        else:
            # Otherwise walk the output in order: contiguous writes, strided reads.
            dims, dst_steps = list(result.shape), out_strides
            src_steps = [in_strides[axis] for axis in perm]
        self._walk(builder, source, result, dims, src_steps, dst_steps, builder.index(0),
                   builder.index(0))

    def _walk_rows(self, b: KernelBuilder, source: Buffer, result: Buffer, dims: list[int],
                   src_steps: list[int], dst_steps: list[int]) -> None:
        """The input walk one row (the two innermost input axes) at a time. Each row is first
        computed (the fused chain applied, contiguous, vectorised) into a staging buffer of
        its own: input and output share the arena, and LLVM cannot tell that the strided
        reads and the planes' writes never meet ("unsafe dependent memory operations": the
        walk stayed scalar). Then the row is scattered to the planes four pixels at a time
        (unrolled, so the SLP vectoriser writes whole vectors of a plane)."""
        width, depth = dims[-2], dims[-1]
        stage = b.state("row", width * depth, source.element)

        def pixel(at: SSAValue, dst: SSAValue) -> None:
            for c in range(depth):
                b.store(b.load(stage, b.add_index(b.mul_index(at, depth), c)), result,
                        b.add_index(dst, b.add_index(b.mul_index(at, dst_steps[-2]),
                                                     c * dst_steps[-1])))

        def rows(outer: list[int], src: SSAValue, dst: SSAValue, level: int) -> None:
            if outer:
                with b.loop(outer[0]) as i:
                    rows(outer[1:], b.add_index(src, b.mul_index(i, src_steps[level])),
                         b.add_index(dst, b.mul_index(i, dst_steps[level])), level + 1)
                return
            with b.loop(width * depth) as k:
                b.store(b.load(source, b.add_index(src, k)), stage, k)
            whole = width // PIXELS * PIXELS
            with b.loop(whole, step=PIXELS) as w:
                for u in range(PIXELS):
                    pixel(b.add_index(w, u), dst)
            with b.loop(width, lower=whole) as w:
                pixel(w, dst)

        rows(dims[:-2], b.index(0), b.index(0), 0)

    def _walk(self, b: KernelBuilder, source: Buffer, result: Buffer, dims: list[int],
              src_steps: list[int], dst_steps: list[int], src: SSAValue, dst: SSAValue) -> None:
        """One loop per axis of `dims`, outermost first; a short innermost axis is unrolled."""
        if not dims:
            b.store(b.load(source, src), result, dst)
            return
        if len(dims) == 1 and dims[0] <= UNROLL:
            for i in range(dims[0]):
                b.store(b.load(source, b.add_index(src, i * src_steps[0])), result,
                        b.add_index(dst, i * dst_steps[0]))
            return
        with b.loop(dims[0]) as i:
            self._walk(b, source, result, dims[1:], src_steps[1:], dst_steps[1:],
                       b.add_index(src, b.mul_index(i, src_steps[0])),
                       b.add_index(dst, b.mul_index(i, dst_steps[0])))
