"""top_k: the k highest scores that reach a threshold, best first, with their indices."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._modern_ops import (
    INTEGER_RANGES,
    NUMERIC,
    both,
    check_arity,
    check_element,
    describe,
    either,
    flag,
    squeezed,
    truth,
)
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

NO_INDEX = 2**32 - 1  # the index written into unused slots


class TopK(ProcBlock):
    name = "top_k"
    summary = ("indices (u32) and scores of the k largest elements >= threshold, best first, "
               "ties by lower index; unused slots get index 4294967295 and score 0")
    origin = "new in this compiler (tf.math.top_k with a score threshold)"
    arg_specs = (
        ArgSpec("k", int, default=1, minimum=1, doc="how many results"),
        ArgSpec("threshold", float, default=float("-inf"),
                doc="scores below this are never returned (NaN scores never are)"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        check_arity(self.name, inputs, outputs, 1, 2)
        (scores,), (indices, best) = inputs, outputs
        check_element(self.name, "input", scores, NUMERIC)
        if len(squeezed(scores.shape)) > 1:
            raise ProcBlockError(
                f"top_k needs a vector of scores (1-D once dimensions of 1 are dropped), "
                f"not {describe(scores)}")
        k = int(args["k"])  # type: ignore[arg-type]
        if k > prod(scores.shape):
            raise ProcBlockError(f"`k` is {k}, but the input has only {prod(scores.shape)} "
                                 "scores")
        if indices.element != "u32" or prod(indices.shape) != k:
            raise ProcBlockError(
                f"top_k's first output holds the k={k} indices as u32 (e.g. u32[{k}]), "
                f"not {describe(indices)}")
        if best.element != scores.element or prod(best.shape) != k:
            raise ProcBlockError(
                f"top_k's second output holds the k={k} scores as {scores.element} "
                f"(e.g. {scores.element}[{k}]), not {describe(best)}")
        if math.isnan(float(args["threshold"])):  # type: ignore[arg-type]
            raise ProcBlockError("`threshold` must be a number, not NaN")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer],
              outputs: Sequence[Buffer], args: Mapping[str, ArgValue]) -> None:
        (scores,), (indices, best) = inputs, outputs
        b = builder
        element = scores.element
        k = int(args["k"])  # type: ignore[arg-type]
        passes = _threshold_test(b, element, float(args["threshold"]))  # type: ignore[arg-type]

        # Slot s takes the best element strictly after slot s-1's in the order
        # (score descending, index ascending): k scans, no scratch memory, stable on ties.
        def slot(s: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            have_prev, prev_score, prev_index = carried

            def candidate(j: SSAValue, state: list[Scalar]) -> list[Scalar]:
                found, best_score, best_index = state
                score = b.load(scores, j)
                index = b.from_index(j, "u32")
                after_prev = either(b, b.negate_bool(truth(b, have_prev)), either(
                    b, b.compare("lt", score, prev_score),
                    both(b, b.compare("eq", score, prev_score),
                         b.compare("gt", index, prev_index))))
                better = either(b, b.negate_bool(truth(b, found)),
                                b.compare("gt", score, best_score))
                take = both(b, both(b, passes(score), after_prev), better)
                return [b.select(take, b.constant(1, "u8"), found),
                        b.select(take, score, best_score), b.select(take, index, best_index)]

            found, score, index = b.fold(
                scores.count, [b.constant(0, "u8"), b.constant(0, element),
                               b.constant(NO_INDEX, "u32")], candidate)
            hit = truth(b, found)
            b.store(b.select(hit, index, b.constant(NO_INDEX, "u32")), indices, s)
            b.store(b.select(hit, score, b.constant(0, element)), best, s)
            # Once nothing is found, later slots find nothing either: keep the old order key.
            return [flag(b, either(b, hit, truth(b, have_prev))),
                    b.select(hit, score, prev_score), b.select(hit, index, prev_index)]

        b.fold(k, [b.constant(0, "u8"), b.constant(0, element), b.constant(0, "u32")], slot)


def _threshold_test(b: KernelBuilder, element: str, threshold: float):
    """score >= threshold, compared exactly: floats widened to f64, integers against
    ceil(threshold) clamped to the type (or a constant when the threshold is out of range)."""
    if element in ("f32", "f64"):
        limit = b.constant(threshold, "f64")
        return lambda score: b.compare("ge", b.convert(score, "f64"), limit)
    low, high = INTEGER_RANGES[element]
    bound = math.ceil(threshold) if math.isfinite(threshold) else (
        low if threshold < 0 else high + 1)
    if bound <= low:
        return lambda score: b.compare("eq", score, score)  # always true
    if bound > high:
        return lambda score: b.compare("ne", score, score)  # always false
    limit = b.constant(bound, element)
    return lambda score: b.compare("ge", score, limit)
