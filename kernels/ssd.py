"""ssd: decode an SSD model's raw boxes against its anchors, score them, and keep the best
non-overlapping ones: MediaPipe's SsdAnchorsCalculator + TensorsToDetectionsCalculator +
NonMaxSuppressionCalculator in one kernel.

The defaults are MediaPipe's short-range face detector (128x128 input, 896 anchors, raw boxes
[1, 896, 16] with 6 keypoints, raw scores [1, 896, 1]). Anchors are computed at compile time
and baked into the rune; decoding, scoring and suppression run in the kernel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._modern_ops import (
    both,
    check_arity,
    describe,
    flag,
    float_list,
    int_list,
    truth,
)
from rune.kernels._ssd_anchors import AnchorOptions, ssd_anchors
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from rune.kernels.sigmoid import logistic
from xdsl.ir import SSAValue

ARG_SPECS = (
    # SsdAnchorsCalculator
    ArgSpec("input_size_height", int, default=128, minimum=1, doc="model input height"),
    ArgSpec("input_size_width", int, default=128, minimum=1, doc="model input width"),
    ArgSpec("min_scale", float, default=0.1484375, doc="anchor scale of the first layer"),
    ArgSpec("max_scale", float, default=0.75, doc="anchor scale of the last layer"),
    ArgSpec("strides", str, default="8,16,16,16", doc="one stride per layer"),
    ArgSpec("aspect_ratios", str, default="1.0", doc="anchor aspect ratios"),
    ArgSpec("anchor_offset_x", float, default=0.5, doc="anchor centre within its cell"),
    ArgSpec("anchor_offset_y", float, default=0.5, doc="anchor centre within its cell"),
    ArgSpec("interpolated_scale_aspect_ratio", float, default=1.0,
            doc="extra anchor per cell with this ratio (0 = none)"),
    ArgSpec("reduce_boxes_in_lowest_layer", bool, default=False,
            doc="3 fixed anchors in the first layer"),
    ArgSpec("fixed_anchor_size", bool, default=True, doc="anchors of size 1x1"),
    # TensorsToDetectionsCalculator
    ArgSpec("x_scale", float, default=128.0, doc="divisor of raw x offsets"),
    ArgSpec("y_scale", float, default=128.0, doc="divisor of raw y offsets"),
    ArgSpec("w_scale", float, default=128.0, doc="divisor of raw widths"),
    ArgSpec("h_scale", float, default=128.0, doc="divisor of raw heights"),
    ArgSpec("box_coord_offset", int, default=0, minimum=0, doc="first box value per anchor"),
    ArgSpec("keypoint_coord_offset", int, default=4, minimum=0,
            doc="first keypoint value per anchor"),
    ArgSpec("num_keypoints", int, default=6, minimum=0, doc="(x, y) keypoints per anchor"),
    ArgSpec("reverse_output_order", bool, default=True,
            doc="raw boxes are x, y, w, h (else y, x, h, w); keypoints x, y (else y, x)"),
    ArgSpec("apply_exponential_on_box_size", bool, default=False,
            doc="size = exp(raw / scale) * anchor size"),
    ArgSpec("sigmoid_score", bool, default=True, doc="score = sigmoid(raw score)"),
    ArgSpec("score_clipping_thresh", float, default=100.0, minimum=0.0,
            doc="clip raw scores to +-this before the sigmoid (0 = no clipping)"),
    ArgSpec("min_score_thresh", float, default=0.5, doc="drop boxes scoring below this"),
    # NonMaxSuppressionCalculator
    ArgSpec("iou_threshold", float, default=0.3, minimum=0.0, maximum=1.0,
            doc="suppress a box whose IoU with a kept box is above this"),
    ArgSpec("max_detections", int, default=100, minimum=1, doc="rows of the outputs"),
)


def anchor_options(args: Mapping[str, ArgValue]) -> AnchorOptions:
    return AnchorOptions(
        input_size_height=int(args["input_size_height"]),  # type: ignore[arg-type]
        input_size_width=int(args["input_size_width"]),  # type: ignore[arg-type]
        min_scale=float(args["min_scale"]),  # type: ignore[arg-type]
        max_scale=float(args["max_scale"]),  # type: ignore[arg-type]
        strides=tuple(int_list("strides", str(args["strides"]))),
        aspect_ratios=tuple(float_list("aspect_ratios", str(args["aspect_ratios"]))),
        anchor_offset_x=float(args["anchor_offset_x"]),  # type: ignore[arg-type]
        anchor_offset_y=float(args["anchor_offset_y"]),  # type: ignore[arg-type]
        interpolated_scale_aspect_ratio=float(
            args["interpolated_scale_aspect_ratio"]),  # type: ignore[arg-type]
        reduce_boxes_in_lowest_layer=bool(args["reduce_boxes_in_lowest_layer"]),
        fixed_anchor_size=bool(args["fixed_anchor_size"]),
    )


class Ssd(ProcBlock):
    name = "ssd"
    summary = ("SSD post-processing: anchor decoding, sigmoid scores, score threshold and "
               "non-max suppression; outputs boxes (ymin, xmin, ymax, xmax), keypoints (x, y), "
               "scores and the detection count")
    origin = "new in this compiler (MediaPipe SSD anchors, tensors-to-detections, NMS)"
    arg_specs = ARG_SPECS

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        keypoints = int(args["num_keypoints"])  # type: ignore[arg-type]
        check_arity(self.name, inputs, outputs, 2, 4 if keypoints else 3)
        raw_boxes, raw_scores = inputs
        options = anchor_options(args)
        if not options.strides or min(options.strides) < 1:
            raise ProcBlockError("`strides` needs at least one positive stride")
        if not options.aspect_ratios or min(options.aspect_ratios) <= 0:
            raise ProcBlockError("`aspect_ratios` needs at least one positive ratio")
        anchors = len(ssd_anchors(options))
        if raw_boxes.element != "f32" or raw_scores.element != "f32":
            raise ProcBlockError(
                f"ssd takes f32 raw boxes and scores, not {raw_boxes.element} and "
                f"{raw_scores.element}")
        coords = raw_boxes.shape[-1] if raw_boxes.shape else 0
        if prod(raw_boxes.shape) != anchors * coords:
            raise ProcBlockError(
                f"the anchor options give {anchors} anchors, so the raw boxes must be "
                f"f32[1, {anchors}, values per anchor], not {describe(raw_boxes)}")
        needed = max(int(args["box_coord_offset"]) + 4,  # type: ignore[arg-type]
                     int(args["keypoint_coord_offset"]) + 2 * keypoints)  # type: ignore[arg-type]
        if coords < needed:
            raise ProcBlockError(
                f"the box and keypoint offsets need {needed} values per anchor, but the raw "
                f"boxes {describe(raw_boxes)} have {coords}")
        if prod(raw_scores.shape) != anchors:
            raise ProcBlockError(
                f"ssd scores one class: the raw scores must hold one value per anchor "
                f"(f32[1, {anchors}, 1]), not {describe(raw_scores)}")
        rows = int(args["max_detections"])  # type: ignore[arg-type]
        wanted = [("boxes", "f32", (rows, 4))]
        if keypoints:
            wanted.append(("keypoints", "f32", (rows, keypoints, 2)))
        wanted += [("scores", "f32", (rows,)), ("count", "u32", (1,))]
        for sig, (what, element, shape) in zip(outputs, wanted, strict=True):
            if sig.element != element or prod(sig.shape) != prod(shape):
                raise ProcBlockError(
                    f"ssd's {what} output must be {describe(TensorSig(element, shape))} "
                    f"(max_detections={rows}), not {describe(sig)}")
        for name in ("x_scale", "y_scale", "w_scale", "h_scale"):
            if float(args[name]) == 0.0:  # type: ignore[arg-type]
                raise ProcBlockError(f"`{name}` must not be 0")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer],
              outputs: Sequence[Buffer], args: Mapping[str, ArgValue]) -> None:
        _SsdKernel(builder, inputs, outputs, args).emit()


class _SsdKernel:
    """The kernel body: decode every anchor into scratch memory, then greedy NMS."""

    def __init__(self, builder: KernelBuilder, inputs: Sequence[Buffer],
                 outputs: Sequence[Buffer], args: Mapping[str, ArgValue]) -> None:
        self.b = builder
        self.args = args
        self.raw_boxes, self.raw_scores = inputs
        self.keypoints = int(args["num_keypoints"])  # type: ignore[arg-type]
        if self.keypoints:
            self.boxes_out, self.keypoints_out, self.scores_out, self.count_out = outputs
        else:
            self.boxes_out, self.scores_out, self.count_out = outputs
        anchors = ssd_anchors(anchor_options(args))
        self.n = len(anchors)
        self.coords = self.raw_boxes.count // self.n
        b = builder
        self.anchor = {name: b.table(f"anchor_{name}", anchors[:, column], "f32")
                       for column, name in enumerate(("x", "y", "w", "h"))}
        self.scale = {name: b.constant(float(args[f"{name}_scale"]), "f32")  # type: ignore[arg-type]
                      for name in ("x", "y", "w", "h")}
        # Scratch memory, rewritten in full on every run before it is read.
        self.boxes = b.state("boxes", self.n * 4, "f32")  # ymin, xmin, ymax, xmax
        self.scores = b.state("scores", self.n, "f32")
        self.alive = b.state("alive", self.n, "u8")  # still a candidate for NMS

    def emit(self) -> None:
        b = self.b
        with b.loop(self.n) as i:
            self._decode(i)
        rows = int(self.args["max_detections"])  # type: ignore[arg-type]
        (count,) = b.fold(rows, [b.constant(0, "u32")], self._select_one)
        b.store(count, self.count_out, b.index(0))

    # --- decoding ------------------------------------------------------------------------
    def _raw(self, anchor: SSAValue, offset: int) -> Scalar:
        b = self.b
        return b.load(self.raw_boxes, b.add_index(b.mul_index(anchor, self.coords), offset))

    def _along(self, raw: Scalar, axis: str, anchor: SSAValue) -> Scalar:
        """raw / scale * anchor size + anchor centre, for axis "x" or "y" (MediaPipe's order)."""
        b = self.b
        size = b.load(self.anchor["w" if axis == "x" else "h"], anchor)
        return b.add(b.mul(b.div(raw, self.scale[axis]), size), b.load(self.anchor[axis], anchor))

    def _decode(self, i: SSAValue) -> None:
        b = self.b
        offset = int(self.args["box_coord_offset"])  # type: ignore[arg-type]
        first, second, third, fourth = (self._raw(i, offset + k) for k in range(4))
        if self.args["reverse_output_order"]:
            x, y, w, h = first, second, third, fourth
        else:
            y, x, h, w = first, second, third, fourth
        x_center, y_center = self._along(x, "x", i), self._along(y, "y", i)
        sizes = []
        for raw, name in ((h, "h"), (w, "w")):
            relative = b.div(raw, self.scale[name])
            if self.args["apply_exponential_on_box_size"]:
                relative = b.exp(relative)
            sizes.append(b.mul(relative, b.load(self.anchor[name], i)))
        h, w = sizes
        two = b.constant(2.0, "f32")
        half_h, half_w = b.div(h, two), b.div(w, two)
        corners = (b.sub(y_center, half_h), b.sub(x_center, half_w),
                   b.add(y_center, half_h), b.add(x_center, half_w))
        for k, value in enumerate(corners):
            b.store(value, self.boxes, b.add_index(b.mul_index(i, 4), k))
        score = self._score(b.load(self.raw_scores, i))
        b.store(score, self.scores, i)
        # MediaPipe drops boxes below the score threshold and boxes whose decoded width or
        # height is negative or NaN; `ge` is false for NaN.
        zero = b.constant(0.0, "f32")
        ymin, xmin, ymax, xmax = corners
        keep = both(b, b.compare("ge", b.convert(score, "f64"), b.constant(
            float(self.args["min_score_thresh"]), "f64")),  # type: ignore[arg-type]
            both(b, b.compare("ge", b.sub(xmax, xmin), zero),
                 b.compare("ge", b.sub(ymax, ymin), zero)))
        b.store(flag(b, keep), self.alive, i)

    def _score(self, raw: Scalar) -> Scalar:
        b = self.b
        if not self.args["sigmoid_score"]:
            return raw
        clip = float(self.args["score_clipping_thresh"])  # type: ignore[arg-type]
        if clip > 0:
            raw = b.minimum(b.maximum(raw, b.constant(-clip, "f32")), b.constant(clip, "f32"))
        return logistic(b, raw)

    # --- non-max suppression ---------------------------------------------------------------
    def _select_one(self, row: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        """Output row `row`: the best remaining box, which then suppresses its overlaps."""
        b = self.b
        (count,) = carried

        def better(j: SSAValue, state: list[Scalar]) -> list[Scalar]:
            found, best_score, best_index = state
            score = b.load(self.scores, j)
            take = both(b, truth(b, b.load(self.alive, j)), b.negate_bool(both(
                b, truth(b, found), b.negate_bool(b.compare("gt", score, best_score)))))
            return [b.select(take, b.constant(1, "u8"), found),
                    b.select(take, score, best_score),
                    b.select(take, b.from_index(j), best_index)]

        found, score, index = b.fold(
            self.n, [b.constant(0, "u8"), b.constant(0.0, "f32"), b.constant(0, "i32")], better)
        hit = truth(b, found)
        best = b.to_index(index)  # 0 when nothing is left: read, never used unmasked
        zero = b.constant(0.0, "f32")
        box = [b.load(self.boxes, b.add_index(b.mul_index(best, 4), k)) for k in range(4)]
        for k, value in enumerate(box):
            b.store(b.select(hit, value, zero), self.boxes_out,
                    b.add_index(b.mul_index(row, 4), k))
        b.store(b.select(hit, score, zero), self.scores_out, row)
        if self.keypoints:
            self._write_keypoints(row, best, hit)
        b.store(b.select(hit, b.constant(0, "u8"), b.load(self.alive, best)), self.alive, best)
        threshold = b.constant(float(self.args["iou_threshold"]), "f32")  # type: ignore[arg-type]
        with b.loop(self.n) as j:
            other = [b.load(self.boxes, b.add_index(b.mul_index(j, 4), k)) for k in range(4)]
            suppress = both(b, hit, b.compare("gt", self._iou(box, other), threshold))
            alive = b.load(self.alive, j)
            b.store(b.select(suppress, b.constant(0, "u8"), alive), self.alive, j)
        return [b.add(count, b.convert(found, "u32"))]

    def _write_keypoints(self, row: SSAValue, best: SSAValue, hit: SSAValue) -> None:
        b = self.b
        offset = int(self.args["keypoint_coord_offset"])  # type: ignore[arg-type]
        zero = b.constant(0.0, "f32")
        for k in range(self.keypoints):
            first, second = self._raw(best, offset + 2 * k), self._raw(best, offset + 2 * k + 1)
            raw_x, raw_y = (first, second) if self.args["reverse_output_order"] else (second,
                                                                                       first)
            for axis, raw in enumerate((raw_x, raw_y)):
                value = self._along(raw, "xy"[axis], best)
                slot = b.add_index(b.mul_index(row, 2 * self.keypoints), 2 * k + axis)
                b.store(b.select(hit, value, zero), self.keypoints_out, slot)

    def _iou(self, a: list[Scalar], c: list[Scalar]) -> Scalar:
        """Intersection over union of two (ymin, xmin, ymax, xmax) boxes; 0 when the union is
        not positive (MediaPipe's OverlapSimilarity for INTERSECTION_OVER_UNION)."""
        b = self.b
        zero = b.constant(0.0, "f32")
        inter_h = b.maximum(b.sub(b.minimum(a[2], c[2]), b.maximum(a[0], c[0])), zero)
        inter_w = b.maximum(b.sub(b.minimum(a[3], c[3]), b.maximum(a[1], c[1])), zero)
        inter = b.mul(inter_h, inter_w)
        area_a = b.mul(b.sub(a[2], a[0]), b.sub(a[3], a[1]))
        area_c = b.mul(b.sub(c[2], c[0]), b.sub(c[3], c[1]))
        union = b.sub(b.add(area_a, area_c), inter)
        positive = b.compare("gt", union, zero)
        return b.select(positive, b.div(inter, b.select(positive, union, b.constant(
            1.0, "f32"))), zero)
