"""Proc-block arguments that are data, not code: a kernel reads them from tables that the
compiler links in beside the code, so changing one changes only data.

A label kernel's code depends on neither what its labels say nor how many there are: its
wordlist becomes four tables (the UTF-8 bytes, each label's start and length, the count) that
the kernel declares (`KernelBuilder.data_table`) and the backend defines in an object of their
own (backend_wasm/data_object.py). So the per-kernel cache keeps one label kernel for every
wordlist, and the code cache (tools/code_cache.py) one optimised pipeline object for every
Runefile that differs only in such arguments. Plain Python, free of xDSL and NumPy: a compile
whose code comes from the cache calls it without loading the compiler.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from rune.ir.text_rules import pack_strings, rust_lines, rust_trim

MISSING = "<MISSING>"  # what label gives for an index out of range


@dataclass(frozen=True)
class DataArg:
    """One proc block's data argument: its name, and the tables (name, little-endian bytes) its
    value becomes. Nothing of the value decides the kernel's code."""

    arg: str
    tables: Callable[[str], list[tuple[str, bytes]]]


def wordlist_lines(wordlist: str) -> list[str]:
    """The original's `Lines`: the whole text trimmed, then split into lines (not trimmed)."""
    return rust_lines(rust_trim(wordlist))


def _label_tables(wordlist: str) -> list[tuple[str, bytes]]:
    labels = wordlist_lines(wordlist)
    text, starts, lengths = pack_strings([*labels, MISSING])
    return [("labels", text), ("label_starts", struct.pack(f"<{len(starts)}I", *starts)),
            ("label_lengths", struct.pack(f"<{len(lengths)}I", *lengths)),
            ("label_count", struct.pack("<I", len(labels)))]


#: By the canonical name of the library kernel (frontend/references.py).
DATA_ARGS: dict[str, DataArg] = {"label": DataArg("wordlist", _label_tables)}
