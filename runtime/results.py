"""What a run gives back: one `Output` per output stage, one `TensorValue` per tensor it got.

A run copies each output tensor out of guest memory as bytes; the numpy array over those bytes
is made the first time `data` is read, so a caller pays only for the outputs it looks at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, overload

import numpy as np


class TensorValue:
    """One tensor handed out by an output stage: `data` is a read-only numpy array in native
    byte order, or `list[str]` for utf8."""

    __slots__ = ("element_type", "dimensions", "_data", "_raw", "_dtype")

    def __init__(
        self, element_type: str, dimensions: tuple[int, ...], data: np.ndarray | list[str]
    ) -> None:
        self.element_type = element_type
        self.dimensions = tuple(dimensions)
        self._data: np.ndarray | list[str] | None = data
        self._raw: bytes | None = None
        self._dtype: np.dtype | None = None

    @classmethod
    def from_bytes(
        cls, element_type: str, dimensions: tuple[int, ...], dtype: np.dtype, raw: bytes
    ) -> TensorValue:
        """A tensor whose array is made from `raw` (little-endian elements) on first use."""
        value = cls.__new__(cls)
        value.element_type, value.dimensions = element_type, dimensions
        value._data, value._raw, value._dtype = None, raw, dtype
        return value

    @property
    def data(self) -> np.ndarray | list[str]:
        if self._data is None:
            self._data = np.frombuffer(self._raw, self._dtype).reshape(self.dimensions)  # type: ignore[arg-type]
            self._raw = None
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorValue):
            return NotImplemented
        mine, theirs = self.data, other.data
        same = (
            mine == theirs
            if isinstance(mine, list) or isinstance(theirs, list)
            else np.array_equal(mine, theirs)
        )
        return (self.element_type, self.dimensions) == (other.element_type, other.dimensions) and (
            bool(same)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TensorValue({self.element_type!r}, {self.dimensions!r}, {self.data!r})"


class Output(NamedTuple):
    """What one output stage received in one run, one tensor per input slot."""

    name: str
    kind: str
    tensors: list[TensorValue]

    @property
    def value(self) -> np.ndarray | list[str]:
        """The first tensor's data: most output stages take exactly one tensor."""
        return self.tensors[0].data


#: How one output stage's tensors are laid out among a run's written values: (name, kind,
#: [(element type, dimensions, dtype, index into the values)]).
OutputLayout = tuple[str, str, list[tuple[str, tuple[int, ...], np.dtype, int]]]


class Outputs(Sequence[Output]):
    """A run's outputs in manifest order; also looked up by stage name: `outputs["serial"]`.

    The wasmtime host makes them with `Outputs.lazy`: each Output is built on first access from
    the bytes the run copied out (and the list of built ones on the first access of any: a run
    that nobody looks at costs one object). `Outputs(outputs)` and `append` build them eagerly.
    """

    __slots__ = ("_built", "_layout", "_values")

    def __init__(self, outputs: Iterable[Output] = ()) -> None:
        self._built: list[Output | None] | None = list(outputs)
        self._layout: Sequence[OutputLayout] | None = None
        self._values: Sequence[bytes | list[str]] = ()

    @classmethod
    def lazy(cls, layout: Sequence[OutputLayout], values: Sequence[bytes | list[str]]) -> Outputs:
        outputs = cls.__new__(cls)
        outputs._built = None
        outputs._layout = layout
        outputs._values = values
        return outputs

    def __len__(self) -> int:
        built = self._built
        return len(self._layout) if built is None else len(built)  # type: ignore[arg-type]

    def append(self, output: Output) -> None:
        self._built = [self._output(i) for i in range(len(self))] + [output]
        self._layout = None

    def _output(self, index: int) -> Output:
        if self._built is None:
            self._built = [None] * len(self._layout)  # type: ignore[arg-type]
        output = self._built[index]
        if output is None:
            name, kind, tensors = self._layout[index]  # type: ignore[index]
            values = self._values
            output = self._built[index] = Output(
                name,
                kind,
                [
                    TensorValue(etype, dims, value)
                    if isinstance(value := values[key], list)
                    else TensorValue.from_bytes(etype, dims, dtype, value)
                    for etype, dims, dtype, key in tensors
                ],
            )
        return output

    @overload
    def __getitem__(self, key: int | str) -> Output: ...

    @overload
    def __getitem__(self, key: slice) -> list[Output]: ...

    def __getitem__(self, key: int | slice | str) -> Output | list[Output]:
        indices = range(len(self))
        if isinstance(key, str):
            names = self.names
            if key not in names:
                raise KeyError(
                    f"no output stage named {key!r} (output stages: {', '.join(names) or 'none'})"
                )
            return self._output(names.index(key))
        if isinstance(key, slice):
            return [self._output(i) for i in indices[key]]
        return self._output(indices[key])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Outputs({list(self)!r})"

    @property
    def names(self) -> list[str]:
        """The output stages' names, in manifest order."""
        if self._layout is not None:
            return [name for name, _, _ in self._layout]
        return [self._output(i).name for i in range(len(self))]
