"""The proc-block library: every kernel a Runefile can name, keyed by canonical name.

Each module in this package defines ProcBlock subclasses. `MODULES` says which module defines
which kernel, so looking one up imports that module alone, not the whole library (compile start-up
time); tests/kernels/test_registry.py checks the table against every module's classes.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, MutableMapping

from rune.kernels import custom
from rune.kernels.base import ProcBlock

# kernel name -> module of this package that defines it
MODULES: dict[str, str] = {
    "affine": "affine", "standardize": "affine",
    "argmax": "argmax",
    "audio_float_conversion": "audio_float_conversion",
    "binary_classification": "binary_classification",
    "cast": "cast",
    "crop": "crop",
    "fft": "fft",
    "image-normalization": "image_normalization",
    "label": "label",
    "mel_spectrogram": "mel", "mfcc": "mel",
    "modulo": "modulo",
    "most_confident_indices": "most_confident_indices",
    "noise_filtering": "noise_filtering",
    "normalize": "normalize",
    "object_filter": "object_filter",
    "parse": "parse",
    "quantize": "quantize", "dequantize": "quantize",
    "resize": "resize",
    "segment_output": "segment_output",
    "sigmoid": "sigmoid",
    "softmax": "softmax",
    "ssd": "ssd",
    "text_extractor": "text_extractor",
    "tokenizers": "tokenizers",
    "top_k": "top_k",
    "transpose": "transpose",
    "utf8_decode": "utf8_decode",
}  # fmt: skip


def blocks_of(module_name: str) -> list[ProcBlock]:
    """One instance of every concrete ProcBlock class a module of this package defines."""
    module = importlib.import_module(f"{__name__}.{module_name}")
    return [cls() for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, ProcBlock) and not inspect.isabstract(cls)
            and cls.__module__ == module.__name__]  # fmt: skip


class Library(MutableMapping[str, ProcBlock]):
    """Kernels by name, each module imported the first time one of its kernels is asked for.
    Entries can be added or replaced (tests register their own kernels)."""

    def __init__(self, modules: dict[str, str]) -> None:
        self._modules = dict(modules)
        self._blocks: dict[str, ProcBlock] = {}

    def __getitem__(self, name: str) -> ProcBlock:
        if name not in self._blocks:
            module = self._modules[name]
            for block in blocks_of(module):
                if self._modules.get(block.name) == module:
                    self._blocks.setdefault(block.name, block)
        return self._blocks[name]

    def __setitem__(self, name: str, block: ProcBlock) -> None:
        self._blocks[name] = block

    def __delitem__(self, name: str) -> None:
        if name not in self._blocks and name not in self._modules:
            raise KeyError(name)
        self._blocks.pop(name, None)
        self._modules.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._modules
        yield from (name for name in self._blocks if name not in self._modules)

    def __len__(self) -> int:
        return len(self._modules.keys() | self._blocks.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._modules or name in self._blocks


LIBRARY = Library(MODULES)


def lookup(name: str) -> ProcBlock | None:
    """A library kernel by canonical name, or a custom one by its `file:` reference (which
    raises ProcBlockError when the module cannot be loaded)."""
    if name.startswith(custom.PREFIX):
        return custom.load_custom(name)
    return LIBRARY.get(name)
