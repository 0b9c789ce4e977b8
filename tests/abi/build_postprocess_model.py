"""Build a TFLite model whose only operator is TFLite_Detection_PostProcess (run as a script).

    python build_postprocess_model.py OUT.tflite

TensorFlow's converter turns a function marked `experimental_implements` with the operator's
name and attributes into the custom operator (as the object-detection API's SSD export does).
The flatbuffer leaves its four output shapes empty; LiteRT sets them when it allocates tensors.
Inputs: box encodings f32[1,8,4] and class scores f32[1,8,3] (background + 2 classes); the eight
anchors are constants inside the model (ANCHORS below, [y, x, h, w] each).
"""

from __future__ import annotations

import sys
import tempfile

import numpy as np

ANCHORS = np.array(
    [[0.1 + 0.2 * (i // 4), 0.1 + 0.2 * (i % 4), 0.1, 0.1] for i in range(8)], dtype=np.float32
)
NUM_CLASSES, MAX_DETECTIONS = 2, 3

_ATTRS = {
    "max_detections": f"i: {MAX_DETECTIONS}", "max_classes_per_detection": "i: 1",
    "detections_per_class": "i: 100", "use_regular_nms": "b: false",
    "nms_score_threshold": "f: 0.0", "nms_iou_threshold": "f: 0.5",
    "num_classes": f"i: {NUM_CLASSES}", "y_scale": "f: 10.0", "x_scale": "f: 10.0",
    "h_scale": "f: 5.0", "w_scale": "f: 5.0",
}  # fmt: skip
SIGNATURE = " ".join(
    ['name: "TFLite_Detection_PostProcess"']
    + [f'attr {{ key: "{key}" value {{ {value} }} }}' for key, value in _ATTRS.items()]
)


def build(path: str) -> None:
    import tensorflow as tf

    @tf.function(experimental_implements=SIGNATURE)
    def postprocess(boxes, scores, anchors):  # the converter replaces the body
        return tuple(tf.constant(0.0, name=n) for n in ("boxes", "classes", "scores", "count"))

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 4], tf.float32),
                                  tf.TensorSpec([1, 8, NUM_CLASSES + 1], tf.float32)])
    def model(boxes, scores):
        return postprocess(boxes, scores, tf.constant(ANCHORS))

    module = tf.Module()
    module.model = model
    with tempfile.TemporaryDirectory() as saved:
        tf.saved_model.save(module, saved, signatures=model.get_concrete_function())
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.allow_custom_ops = True
        data = converter.convert()
    with open(path, "wb") as out:
        out.write(data)


if __name__ == "__main__":
    build(sys.argv[1])
