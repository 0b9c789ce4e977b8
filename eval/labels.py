"""Reading a run's predicted label from one of the rune's output stages.

How is decided once, from the manifest, so a rune that cannot give a label fails before any
example runs. An output reads as a label when its first tensor is
- `utf8`: the first string is the label;
- an integer tensor of one element: an index into the `--labels` list;
- a numeric tensor of one element per label (scores, probabilities, one-hot): the label with
  the highest value (the first of equal ones), given `--labels`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rune.runtime.manifest import Manifest, OutputSpec, TensorSpec
from rune.runtime.results import Outputs

from .errors import EvalError

TEXT, INDEX, SCORES = "utf8", "index", "scores"


def _reading(tensor: TensorSpec, labels: Sequence[str] | None) -> str | None:
    """How a tensor reads as a label, or None."""
    if tensor.element_type == "utf8":
        return TEXT
    if labels is None:
        return None
    kind = tensor.dtype.kind
    if kind in "iu" and tensor.count == 1:
        return INDEX
    if kind in "iuf" and tensor.count == len(labels) >= 2:
        return SCORES
    return None


class LabelReader:
    """The predicted label of a run, from the output stage `output` (by default the first one
    that reads as a label)."""

    def __init__(
        self, manifest: Manifest, labels: Sequence[str] | None = None, output: str | None = None
    ) -> None:
        self.labels = list(labels) if labels is not None else None
        candidates = list(manifest.outputs)
        if output is not None:
            candidates = [o for o in candidates if o.name == output]
            if not candidates:
                names = ", ".join(o.name for o in manifest.outputs) or "none"
                raise EvalError(f'the rune has no output stage "{output}" (outputs: {names})')
        for spec in candidates:
            reading = _reading(spec.inputs[0], self.labels) if spec.inputs else None
            if reading is not None:
                self.output, self.reading = spec.name, reading
                self._slot = manifest.outputs.index(spec)
                return
        raise EvalError(self._no_label(candidates))

    def _no_label(self, outputs: Sequence[OutputSpec]) -> str:
        gives = "; ".join(
            f'"{o.name}" gives {", ".join(t.describe() for t in o.inputs) or "nothing"}'
            for o in outputs
        ) or "it has no output stage"  # fmt: skip
        need = (
            "a utf8 output, an integer index or one score per label"
            if self.labels is not None
            else "a utf8 output (or, with --labels FILE, an integer index or one score per "
            "label)"
        )
        return f"the rune has no output that reads as a label ({gives}): a label needs {need}"

    def __call__(self, outputs: Outputs) -> str:
        """The label of one run's outputs; an EvalError for an index out of range or no
        string."""
        data = outputs[self._slot].tensors[0].data
        if self.reading == TEXT:
            if not data:
                raise EvalError(f'output "{self.output}" gave no string')
            return str(data[0]).strip()
        assert self.labels is not None
        flat = np.asarray(data).reshape(-1)
        index = int(flat[0]) if self.reading == INDEX else int(np.argmax(flat))
        if not 0 <= index < len(self.labels):
            raise EvalError(
                f'output "{self.output}" gave index {index}, outside the {len(self.labels)} '
                "labels of --labels"
            )
        return self.labels[index]
