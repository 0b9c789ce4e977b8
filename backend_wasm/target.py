"""Code-generation targets: a triple, a CPU, features and optimisation settings.

The backend takes one of these as a parameter, so a size-optimised MVP wasm profile for
microcontroller interpreters, or a native Cortex-M object, is another `Target` value rather than
another backend.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

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


TARGETS: dict[str, Target] = {
    "wasm32": Target("wasm32", "wasm32-unknown-unknown", features="+simd128"),
}


@cache
def initialise_llvm() -> None:
    """Register LLVM's targets once; without it: 'Unable to find target for this triple'."""
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()


def target_machine(target: Target) -> llvm.TargetMachine:
    initialise_llvm()
    return llvm.Target.from_triple(target.triple).create_target_machine(
        cpu=target.cpu,
        features=target.features,
        opt=min(target.speed_level, 3),
        reloc="static",
        codemodel="default",
    )
