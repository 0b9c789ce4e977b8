"""TensorFlow.js models (`format: tensorflow-js`): the Python host refuses them, and says why.

A tfjs model runs on TensorFlow.js, which the web host has (web/, docs/web.md). Here there is
no way to run one: there is no TensorFlow.js runtime for Python, and no converter from a tfjs
graph model back to TensorFlow or TFLite (the `tensorflowjs` package converts only towards
TensorFlow.js, apart from layers models to Keras, and its 4.22 release pins TensorFlow 2.19, so
it cannot be installed beside the TensorFlow 2.21 that `runec` converts models with). Failing
at load time, with the way out in the message, beats failing at the first `model_invoke`.
"""

from __future__ import annotations

from typing import NoReturn

from ..errors import ModelError
from ..manifest import ModelSpec


def refuse_tfjs(model: memoryview, spec: ModelSpec) -> NoReturn:
    """The `tensorflow-js` factory of the Python host: always a ModelError."""
    raise ModelError(
        f'model "{spec.name}" has format tensorflow-js (a TensorFlow.js model), which the Python '
        "host cannot run: there is no TensorFlow.js runtime for Python and no converter from "
        "TensorFlow.js graph models to TFLite in this environment; run this rune on the web "
        "host (`npx rune-web run`, or `loadRune` in a browser or Node; docs/web.md)"
    )
