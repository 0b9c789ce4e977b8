"""Per-kernel compile cache: each library kernel's LLVM IR, reused by a cold `runec` across
Runefiles.

lower-pipeline hands every library kernel to a `KernelCache` (rune.ir.kernel_units) as a
description: proc block, typed arguments, buffer types and shapes, fused steps. That, the compiler
(`compile_cache.compiler_fingerprint`), the target (triple, data layout, optimising for size) and
the passes run after the lowering decide the unit's IR, so their SHA-256 names it on disk (a unit
is IR before LLVM optimises, so -O1, -O2 and -O3 share units; -O0 runs other passes). A miss
builds the kernel under a neutral symbol in a module of its own, runs those passes and
translates it to LLVM IR; a hit reads that IR back. The backend links every unit into the
pipeline's module (renamed to the stage's symbol) before LLVM optimises the whole, so a compile
gives the same bytes whether its kernels came from the cache or not, and a Runefile never seen
before (another model, another argument) only builds the kernels whose description changed.
A data argument (ir/data_args.py) is not in the description: it decides no code.

Entries use the compile cache's envelope (magic, SHA-256 of the payload, payload); the payload
starts with the key, so an entry moved to another name is not believed. A damaged entry fails the
digest; one that parses but is not a single kernel of the expected shape (`_check`) is
rebuilt and replaced as well. Directory: `kernels/` inside the compile cache's directory.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import llvmlite.binding as llvm
from rune.backend_wasm.support import prepare_for_arm
from rune.backend_wasm.target import Target, target_machine
from rune.backend_wasm.translate import translate_module
from rune.ir.kernel_units import KernelBuild
from rune.passes.stage_probes import InsertStageProbesPass
from rune.tools import compile_cache
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

SYMBOL = "rune.unit"  # a unit's kernel before it is linked under its stage's symbol
_VERSION = b"rune-kernel-unit-1\0"


class UnitError(Exception):
    """Cached IR that is not a kernel unit as this compiler writes them."""


@dataclass
class KernelCache:
    """The kernels of one compile: LLVM modules by the symbol the pipeline calls them by."""

    target: Target
    passes: list[ModulePass]  # what the pipeline runs after lower-pipeline
    cache_dir: Path | None = None  # None: compile every kernel, store nothing
    units: dict[str, llvm.ModuleRef] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    seconds: float = 0.0  # spent in `take`, reading or compiling units

    def summary(self) -> str:
        return f"kernel units: {self.hits} cached, {self.misses} compiled"

    def take(self, symbol: str, description: dict, build: KernelBuild) -> None:
        start = time.perf_counter()
        self._take(symbol, description, build)
        self.seconds += time.perf_counter() - start

    def _take(self, symbol: str, description: dict, build: KernelBuild) -> None:
        key = self._key(description)
        unit = self._load(key)
        if unit is None:
            self.misses += 1
            text = self._compile(build)
            unit = _parse(text, self.target)
            if self.cache_dir is not None:
                compile_cache.write_verified(self._path(key), key.encode() + b"\0" +
                                             text.encode())
        else:
            self.hits += 1
        self.units[symbol] = unit

    def _key(self, description: dict) -> str:
        machine = target_machine(self.target)
        digest = hashlib.sha256(_VERSION + compile_cache.compiler_fingerprint())
        facts = {"target": self.target.name, "triple": self.target.triple,
                 "layout": str(machine.target_data), "size": self.target.optimise_for_size,
                 "passes": [str(p.pipeline_pass_spec()) for p in self.passes],
                 "kernel": description}
        digest.update(json.dumps(facts, sort_keys=True).encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / "kernels" / f"{key}.bin"

    def _load(self, key: str) -> llvm.ModuleRef | None:
        if self.cache_dir is None:
            return None
        payload = compile_cache.read_verified(self._path(key))
        prefix = key.encode() + b"\0"
        if payload is None or not payload.startswith(prefix):
            return None
        try:
            return _parse(payload[len(prefix):].decode(), self.target)
        except (UnitError, UnicodeDecodeError):
            return None  # rebuilt (and replaced) by the caller

    def _compile(self, build: KernelBuild) -> str:
        from rune.tools.compiler import make_context  # the compiler imports this module

        function, globals_ = build(SYMBOL)
        module = ModuleOp([*globals_, function])
        context = make_context()
        for current in self.passes:
            current.apply(context, module)
        machine = target_machine(self.target)
        attributes = ("optsize",) if self.target.optimise_for_size else ()
        translated = translate_module(module, self.target.triple, str(machine.target_data),
                                      attributes)
        if self.target.triple.startswith(("thumb", "arm")):
            prepare_for_arm(translated)
        return str(translated)


def post_lowering(passes: list[ModulePass]) -> list[ModulePass] | None:
    """The passes a kernel unit goes through: those after lower-pipeline, except the probes
    (they only touch `rune_run`); None when the pipeline has no lower-pipeline."""
    names = [p.name for p in passes]
    if "lower-pipeline" not in names:
        return None
    tail = passes[names.index("lower-pipeline") + 1:]
    return [p for p in tail if not isinstance(p, InsertStageProbesPass)]


def _parse(text: str, target: Target) -> llvm.ModuleRef:
    try:
        unit = llvm.parse_assembly(text)
        unit.verify()
    except RuntimeError as exc:
        raise UnitError(f"invalid LLVM IR: {exc}") from None
    try:
        _check(unit, target)
    except NameError:  # llvmlite: no such function
        raise UnitError(f"a unit does not define {SYMBOL}") from None
    return unit


def _check(unit: llvm.ModuleRef, target: Target) -> None:
    """A unit defines `SYMBOL`, otherwise only internal functions (helpers such as
    support.py's) and internal globals under its name, and declares nothing but LLVM
    intrinsics and its own data tables (`<name>.data.*`, ir/data_args.py): nothing it could
    add to or take from the pipeline."""
    if unit.triple != target.triple:
        raise UnitError(f"unit for {unit.triple}, not {target.triple}")
    internal = (llvm.Linkage.internal, llvm.Linkage.private)
    if unit.get_function(SYMBOL).is_declaration:  # NameError when absent
        raise UnitError(f"a unit does not define {SYMBOL}")
    for function in unit.functions:
        if function.is_declaration and not function.name.startswith("llvm."):
            raise UnitError(f"a unit declares {function.name}")
        if not function.is_declaration and function.name != SYMBOL and \
                function.linkage not in internal:
            raise UnitError(f"a unit defines {function.name}")
    for variable in unit.global_variables:
        data_table = variable.is_declaration and variable.name.startswith(SYMBOL + ".data.")
        if not variable.name.startswith(SYMBOL + ".") or \
                (variable.linkage not in internal and not data_table):
            raise UnitError(f"a unit defines the global {variable.name}")


def link_units(module: llvm.ModuleRef, units: dict[str, llvm.ModuleRef]) -> llvm.ModuleRef:
    """`module` with each unit linked in as the kernel `symbol` it declares (LLVM's linker puts
    the definitions after the module's own functions), made internal, as a kernel defined in
    the module is, so that LLVM may inline it. Consumes the units."""
    for symbol, unit in units.items():
        for variable in unit.global_variables:
            variable.name = symbol + variable.name[len(SYMBOL):]
        function = unit.get_function(SYMBOL)
        function.name = symbol
        function.linkage = llvm.Linkage.external
        module.link_in(unit)
        module.get_function(symbol).linkage = llvm.Linkage.internal
    return module
