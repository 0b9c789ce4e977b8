"""Code-generation targets: a triple, a CPU, features and optimisation settings.

The backend takes one of these as a parameter, so a size-optimised MVP wasm profile for
microcontroller interpreters, or a native Cortex-M object, is another `Target` value rather than
another backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a machine is made: runec's start-up does without LLVM
    import llvmlite.binding as llvm

OPT_LEVELS = ("0", "1", "2", "3", "s")


@dataclass(frozen=True)
class Target:
    name: str
    triple: str
    cpu: str = ""
    features: str = ""
    pointer_bits: int = 32
    opt_level: str = "2"
    native: bool = False  # an ELF object for firmware, not a linked wasm module
    bulk_memory: bool = True  # memcpy/memset are instructions (else the module defines them)
    stack_bytes: int = 16384
    models: str = "handler"  # how models run unless a Runefile says: handler or compiled
    summary: str = ""

    def with_opt_level(self, level: str) -> Target:
        if level not in OPT_LEVELS:
            raise ValueError(f"unknown optimisation level -O{level}; expected one of "
                             + ", ".join(f"-O{lvl}" for lvl in OPT_LEVELS))
        return replace(self, opt_level=level)

    @property
    def speed_level(self) -> int:
        return 2 if self.opt_level == "s" else int(self.opt_level)

    @property
    def optimise_for_size(self) -> bool:
        return self.opt_level == "s"


OPT_LEVEL_ENV = "RUNE_OPT_LEVEL"  # lets a whole test suite run at another default level
TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("wasm32", "wasm32-unknown-unknown", features="+simd128",
               summary="wasm32 for wasmtime and browsers: SIMD128, bulk memory, -O2"),
        # MVP only: no SIMD, bulk memory, reference types or multi-value, for wasm3 and WAMR.
        Target("wasm32-mcu", "wasm32-unknown-unknown", cpu="mvp", opt_level="s",
               bulk_memory=False, stack_bytes=4096, models="compiled",
               summary="MVP wasm32 for microcontroller interpreters (wasm3, WAMR): -Os"),
        # llvmlite does not normalise the three-part triple (it would silently pick soft-float).
        Target("thumbv7em-none-eabihf", "thumbv7em-unknown-none-eabihf", cpu="cortex-m4",
               opt_level="s", native=True, bulk_memory=False, stack_bytes=0, models="compiled",
               summary="Cortex-M4F ELF object for firmware beside TFLite Micro: -Os"),
    )
}


def resolve_target(name: str, opt_level: str | None) -> Target:
    """Target `name` at the requested -O level; else $RUNE_OPT_LEVEL; else the target's own
    (ValueError for an unknown level)."""
    target = TARGETS[name]
    return target.with_opt_level(opt_level or os.environ.get(OPT_LEVEL_ENV) or target.opt_level)


@cache
def initialise_llvm() -> None:
    """Register LLVM's targets once; without it: 'Unable to find target for this triple'."""
    import llvmlite.binding as llvm

    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    # Vectorise groups of neighbouring strided accesses (an image's channels) as one wide
    # access plus shuffles; LLVM enables this by default on x86 and ARM, not on wasm.
    llvm.set_option("", "--enable-interleaved-mem-accesses")


def target_machine(target: Target) -> llvm.TargetMachine:
    import llvmlite.binding as llvm

    initialise_llvm()
    return llvm.Target.from_triple(target.triple).create_target_machine(
        cpu=target.cpu,
        features=target.features,
        opt=min(target.speed_level, 3),
        reloc="static",
        codemodel="default",
    )
