"""The proc-block library: every kernel a Runefile can name, keyed by canonical name."""

from __future__ import annotations

from rune.ir.proc_blocks.base import ProcBlock
from rune.ir.proc_blocks.modulo import Modulo

LIBRARY: dict[str, ProcBlock] = {block.name: block for block in (Modulo(),)}


def lookup(name: str) -> ProcBlock | None:
    return LIBRARY.get(name)
