"""A second host on wasm3, the interpreter microcontrollers run, implementing the same ABI.

    from rune.runtime.wasm3_host import Wasm3Rune
    rune = Wasm3Rune.load("sine.rune")
    outputs = rune.run({"angle": "input.bin"})

It exists to prove that a rune built for `--target=wasm32-mcu` runs in an MCU-class engine and
gives the same outputs as the wasmtime host (`rune.runtime.host.Rune`), and as a reference for
embedding a rune where only wasm3 is available. It shares everything but the engine with the
wasmtime host (abi.py): the container reader, the manifest, the capability feeders, the model
handlers and the checked implementation of every import; `run` returns the same `Outputs`.

wasm3 (PyPI `pywasm3`, built from its sdist) implements WebAssembly 1.0 plus a few extensions
but no SIMD: a module using v128 fails when its function is compiled, with "unknown value_type".
wasm3 compiles functions lazily, so `load` compiles `rune_run` at once to fail early.

Imports never raise into wasm3: each records the first error with its message, returns the
non-zero status of docs/abi.md, and `run` raises that error once `rune_run` returns. Every
(ptr, len) the rune passes is checked against its memory, which never grows (ABI v1); wasm3
passes i32 arguments signed, and the checks read them as unsigned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rune.abi.container import RuneContainer, read_u32, wasm_sections_of
from rune.abi.imports import IMPORT_MODULE, IMPORTS, IMPORTS_BY_NAME, Status

from .abi import CheckedImports, RuneHost, abi_import
from .capabilities import CapabilityRegistry
from .errors import ModelError, RuneError, RuneLoadError, RuneRunError
from .handlers import HandlerRegistry, ModelHandler
from .manifest import Manifest

_WASM_TYPES = {0x7F: "i", 0x7E: "I", 0x7D: "f", 0x7C: "F"}
#: wasm3's own value stack (not the rune's linear memory); 64 KiB is ample for any rune.
DEFAULT_STACK_BYTES = 64 * 1024
_OUTSIDE_RUN = "the rune called an import outside rune_run"


def _wasm3() -> Any:
    try:
        import wasm3
    except ImportError:
        raise RuneLoadError(
            "the wasm3 host needs pywasm3 (pip install pywasm3==0.5.0; it builds from source)"
        ) from None
    return wasm3


# -- reading the module's imports (wasm3's Python API cannot list them) -------------------------


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    """A LEB128 u32 inside a section, read by the container's reader."""
    try:
        return read_u32(data, pos, "LEB128")
    except RuneLoadError:
        raise RuneLoadError("invalid wasm module: truncated LEB128") from None


def _name(data: bytes, pos: int) -> tuple[str, int]:
    size, pos = _leb(data, pos)
    return data[pos : pos + size].decode("utf-8", errors="replace"), pos + size


def module_imports(wasm: bytes) -> list[tuple[str, str, str | None]]:
    """(module, name, wasm3 signature) of every import; the signature is None for an import
    that is not a function or uses a type wasm3 signatures cannot spell."""
    types: list[str | None] = []
    imports: list[tuple[str, str, str | None]] = []
    for section in wasm_sections_of(wasm):  # the container's walk of the section list
        if section.id == 1:  # types
            count, p = _leb(wasm, section.payload_start)
            for _ in range(count):
                p += 1  # 0x60
                codes = []
                for _ in range(2):
                    n, p = _leb(wasm, p)
                    codes.append(wasm[p : p + n])
                    p += n
                params, results = codes
                if len(results) > 1 or any(c not in _WASM_TYPES for c in params + results):
                    types.append(None)
                    continue
                ret = _WASM_TYPES[results[0]] if results else "v"
                types.append(f"{ret}({''.join(_WASM_TYPES[c] for c in params)})")
        elif section.id == 2:  # imports
            count, p = _leb(wasm, section.payload_start)
            for _ in range(count):
                module, p = _name(wasm, p)
                name, p = _name(wasm, p)
                kind = wasm[p]
                if kind != 0:
                    imports.append((module, name, None))
                    break  # only functions are legal; no need to decode the rest
                index, p = _leb(wasm, p + 1)
                imports.append((module, name, types[index] if index < len(types) else None))
            break
    return imports


def check_imports(wasm: bytes) -> None:
    """Refuse a module that imports anything but the six functions of ABI v1."""
    for module, name, signature in module_imports(wasm):
        where = abi_import(module, name)
        want = IMPORTS_BY_NAME[name].wasm3_signature
        if signature != want:
            raise RuneLoadError(f"{where} has the wrong type {signature} (ABI v1: {want})")


class Wasm3Rune(RuneHost):
    """A loaded rune on wasm3, ready to `run` any number of times (one run at a time)."""

    def __init__(
        self,
        container: RuneContainer,
        *,
        seed: int = 0,
        handlers: HandlerRegistry | None = None,
        capabilities: CapabilityRegistry | None = None,
        on_log: Callable[[int, str], None] | None = None,
        stack_bytes: int = DEFAULT_STACK_BYTES,
        max_memory_bytes: int | None = None,
    ) -> None:
        """Prefer `Wasm3Rune.load`; this takes an already parsed container."""
        super().__init__(container, seed, handlers, capabilities)
        self._guest: Wasm3Guest = Wasm3Guest(
            container.wasm, self._manifest, self._models, on_log, stack_bytes, max_memory_bytes
        )
        self._layout = self._guest.layout()

    @property
    def error(self) -> RuneError | None:
        """The first import failure of the last run, if any."""
        return self._guest.error

    @property
    def memory_bytes(self) -> int:
        """The size of the rune's linear memory in wasm3."""
        return self._guest.memory_bytes


class Wasm3Guest(CheckedImports):
    """One wasm3 instance of a rune's module, linked to the checked imports."""

    def __init__(
        self,
        wasm: bytes,
        manifest: Manifest,
        models: Sequence[ModelHandler],
        on_log: Callable[[int, str], None] | None,
        stack_bytes: int,
        max_memory_bytes: int | None,
    ) -> None:
        super().__init__(manifest, models, on_log, _OUTSIDE_RUN)
        wasm3 = _wasm3()
        check_imports(wasm)
        self._env = wasm3.Environment()
        self._runtime = self._env.new_runtime(stack_bytes)
        try:
            module = self._env.parse_module(wasm)
            self._runtime.load(module)
        except RuntimeError as exc:
            raise RuneLoadError(f"wasm3 cannot load the module: {exc}") from None
        self._module = module  # keeps the linked callables alive
        for imp in IMPORTS:
            body = self._guard(getattr(self, f"_{imp.name}"), imp.failure,
                               returns=imp.returns_status)
            try:
                module.link_function(IMPORT_MODULE, imp.name, imp.wasm3_signature, body)
            except RuntimeError as exc:
                raise RuneLoadError(f"wasm3 cannot link import {imp.name!r}: {exc}") from None
        try:
            # wasm3 compiles lazily: finding the export compiles it, so an unsupported
            # instruction or type (SIMD: "unknown value_type") is a load error here.
            self._rune_run = self._runtime.find_function("rune_run")
        except RuntimeError as exc:
            raise RuneLoadError(f"wasm3 cannot compile the rune: {exc}") from None
        if self._rune_run.num_args != 0 or self._rune_run.num_rets != 1:
            raise RuneLoadError('the rune\'s "rune_run" export must have type () -> i32')
        memory = self._runtime.get_memory(0)
        if memory is None:
            raise RuneLoadError("the rune has no memory")
        self._mem_len = len(memory)
        if max_memory_bytes is not None and self._mem_len > max_memory_bytes:
            raise RuneLoadError(
                f"the rune's memory is {self._mem_len} bytes, more than the "
                f"{max_memory_bytes} bytes allowed"
            )
        self._bind_memory()

    @property
    def memory_bytes(self) -> int:
        return self._mem_len

    def _bind_memory(self) -> None:
        """A numpy view of guest memory; re-made each run in case wasm3 moved it."""
        self._mem = np.frombuffer(self._runtime.get_memory(0), dtype=np.uint8)
        if self._mem.size != self._mem_len:
            raise RuneRunError(
                f"the rune's memory changed size from {self._mem_len} to {self._mem.size} bytes "
                "(ABI v1: a rune never grows its memory)"
            )

    def _guard(
        self, body: Callable[..., None], status: Status, *, returns: bool = True
    ) -> Callable[..., int | None]:
        """An import: runs `body` checked, returns the status (never raises)."""
        checked = self._checked
        if returns:

            def call(*args: int) -> int | None:
                return checked(body, status, *args)

        else:

            def call(*args: int) -> int | None:
                checked(body, status, *args)
                return None

        return call

    def _model_invoke(self, model: int) -> None:
        spec = self._pick(self.manifest.models, model, "model")
        try:
            self._models[model].invoke()
        except RuneError:
            raise
        except Exception as exc:
            raise ModelError(f'model "{spec.name}" failed: {exc!r}') from exc

    def run(self) -> None:
        self._begin_run()
        self._bind_memory()
        self._refusal = None
        try:
            status = self._rune_run()
        except RuntimeError as exc:
            if self.error is not None:
                raise self.error from None
            raise RuneRunError(f"the rune trapped: {exc}") from None
        finally:
            self._refusal = _OUTSIDE_RUN
        self._finish_run(status)
