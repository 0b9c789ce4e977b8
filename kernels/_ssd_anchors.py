"""SSD anchor boxes, computed at compile time as MediaPipe's SsdAnchorsCalculator does.

Only the options a grid SSD needs are supported (strides, not explicit feature-map sizes; no
multiscale generation). Arithmetic follows the calculator's C++ types: scales in double rounded
to float, centres in float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnchorOptions:
    input_size_height: int
    input_size_width: int
    min_scale: float
    max_scale: float
    strides: tuple[int, ...]
    aspect_ratios: tuple[float, ...] = (1.0,)
    anchor_offset_x: float = 0.5
    anchor_offset_y: float = 0.5
    interpolated_scale_aspect_ratio: float = 1.0
    reduce_boxes_in_lowest_layer: bool = False
    fixed_anchor_size: bool = False


def _scale(options: AnchorOptions, stride_index: int) -> float:
    count = len(options.strides)
    lo, hi = float(np.float32(options.min_scale)), float(np.float32(options.max_scale))
    if count == 1:
        return float(np.float32((lo + hi) * 0.5))
    return float(np.float32(lo + (hi - lo) * stride_index / (count - 1.0)))


def _layer_shapes(options: AnchorOptions, first: int, last: int) -> list[tuple[float, float]]:
    """(height, width) of each anchor at one grid cell, for layers first..last-1 merged."""
    ratios: list[float] = []
    scales: list[float] = []
    for layer in range(first, last):
        scale = _scale(options, layer)
        if layer == 0 and options.reduce_boxes_in_lowest_layer:
            ratios += [1.0, 2.0, 0.5]
            scales += [0.1, scale, scale]
            continue
        for ratio in options.aspect_ratios:
            ratios.append(ratio)
            scales.append(scale)
        if options.interpolated_scale_aspect_ratio > 0.0:
            following = 1.0 if layer == len(options.strides) - 1 else _scale(options, layer + 1)
            scales.append(float(np.sqrt(np.float32(scale) * np.float32(following))))
            ratios.append(options.interpolated_scale_aspect_ratio)
    shapes = []
    for scale, ratio in zip(scales, ratios, strict=True):
        root = np.sqrt(np.float32(ratio))
        shapes.append((float(np.float32(scale) / root), float(np.float32(scale) * root)))
    return shapes


def ssd_anchors(options: AnchorOptions) -> np.ndarray:
    """Anchors as an f32 array [count, 4] of (x_center, y_center, w, h), in the order the
    model's raw boxes use: layers with equal strides merged, then row, column, anchor."""
    rows: list[tuple[float, float, float, float]] = []
    layer = 0
    while layer < len(options.strides):
        last = layer
        while last < len(options.strides) and options.strides[last] == options.strides[layer]:
            last += 1
        shapes = _layer_shapes(options, layer, last)
        stride = options.strides[layer]
        height = math.ceil(np.float32(options.input_size_height) / np.float32(stride))
        width = math.ceil(np.float32(options.input_size_width) / np.float32(stride))
        for y in range(height):
            for x in range(width):
                x_center = (np.float32(x) + np.float32(options.anchor_offset_x)) / np.float32(width)
                y_center = (np.float32(y) + np.float32(options.anchor_offset_y)) / np.float32(
                    height)
                for anchor_h, anchor_w in shapes:
                    w, h = (1.0, 1.0) if options.fixed_anchor_size else (anchor_w, anchor_h)
                    rows.append((float(x_center), float(y_center), w, h))
        layer = last
    return np.array(rows, dtype=np.float32).reshape(-1, 4)
