"""The host: load a `.rune`, feed its capabilities, run it, and hand back its outputs.

    rune = Rune.load("sine.rune")
    outputs = rune.run({"angle": "input.bin"})
    print(outputs["serial"].value)

Loading does all the setup once (manifest and limit checks, capability feeders, model handlers,
the compiled module from the disk cache, the wasm instance), so `run` only feeds inputs, enters
the guest and collects outputs. See abi.py for what this host shares with the wasm3 host,
guest.py for the wasm side and fastcall.py for how the boundary is crossed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import wasmtime
from rune.abi.container import RuneContainer
from rune.abi.models.errors import ModelFormatError
from rune.abi.models.tflite_graph import verify_tflite_graph

from . import capabilities as _caps
from . import compiled, sound
from .abi import RuneHost, read_source
from .capabilities import CapabilityRegistry, InputValue, input_error
from .errors import CapabilityError, LimitError, RuneLoadError
from .fastcall import call_path
from .guest import IN_PLACE, Guest, Timings, trap_message
from .handlers import HandlerRegistry
from .limits import Limits, keep_ticking
from .manifest import CapabilitySpec
from .results import Output, Outputs, TensorValue

__all__ = ["Output", "Outputs", "Rune", "StreamResult", "TensorValue"]

_DEFAULT_CACHE = object()


@dataclass(frozen=True)
class StreamResult:
    """One hop of `Rune.stream`: where the window starts in the recording, and the outputs."""

    start_ms: float
    outputs: Outputs


class Rune(RuneHost):
    """A loaded rune, ready to `run` any number of times.

    Not thread-safe: one run at a time per instance (the guest memory is shared state).
    """

    def __init__(
        self,
        container: RuneContainer,
        *,
        seed: int = 0,
        limits: Limits | None = None,
        handlers: HandlerRegistry | None = None,
        capabilities: CapabilityRegistry | None = None,
        on_log: Callable[[int, str], None] | None = None,
        cache_dir: str | os.PathLike[str] | None | object = _DEFAULT_CACHE,
        fast_path: bool = True,
        timings: Timings | None = None,
        output_views: bool = False,
    ) -> None:
        """Prefer `Rune.load`; this takes an already parsed container."""
        self._limits = limits if limits is not None else Limits()
        self._guest_limits = self._limits  # less what the models' tensors take (_charge_models)
        super().__init__(container, seed, handlers, capabilities)
        if cache_dir is _DEFAULT_CACHE:
            cache = compiled.default_cache_dir()
        else:
            cache = None if cache_dir is None else Path(cache_dir)  # type: ignore[arg-type]
        try:
            module, self.module_source = compiled.compile_module(
                container.wasm, cache, deadline=self._limits.deadline_ticks is not None)
        except wasmtime.WasmtimeError as exc:
            raise RuneLoadError(f"invalid wasm module: {trap_message(exc)}") from None
        self._path = call_path(fast_path)
        if self._limits.deadline_ticks is not None:  # before instantiation: the start function
            keep_ticking(compiled.engine(), self)  # runs then, and may be the process's first rune
        self._guest = Guest(
            module, self._manifest, self._models, self._path, self._guest_limits, on_log, timings,
            output_views,
        )
        self._in_place = {}
        self._slots: dict[int, tuple[int, int]] | None = None
        self._layout = self._guest.layout()

    @classmethod
    def load(  # type: ignore[override]  # the constructor's options, spelled out
        cls,
        source: bytes | bytearray | memoryview | str | os.PathLike[str],
        *,
        seed: int = 0,
        limits: Limits | None = None,
        handlers: HandlerRegistry | None = None,
        capabilities: CapabilityRegistry | None = None,
        on_log: Callable[[int, str], None] | None = None,
        cache_dir: str | os.PathLike[str] | None | object = _DEFAULT_CACHE,
        fast_path: bool = True,
        output_views: bool = False,
    ) -> Rune:
        """Load a `.rune` from a path or its bytes.

        `seed` seeds RAND capabilities; `limits` bounds memory, run time and sizes (see
        `Limits`); `handlers`/`capabilities` override the default registries;
        `on_log(level, message)` receives the rune's `log` calls (they also go to the
        `rune.guest` logger); `cache_dir` is where compiled modules are kept (None: no cache;
        default: `compiled.default_cache_dir()`); `fast_path=False` uses wasmtime's public call
        path; `output_views=True` makes each output tensor's `data` a read-only view of guest
        memory, valid until the next run, instead of a copy (see `input_buffer` for inputs).
        Raises a RuneError subclass (RuneLoadError, ModelError, CapabilityError,
        LimitError) or OSError.
        """
        return cls(
            read_source(source),
            seed=seed,
            limits=limits,
            handlers=handlers,
            capabilities=capabilities,
            on_log=on_log,
            cache_dir=cache_dir,
            fast_path=fast_path,
            output_views=output_views,
        )

    def input_buffer(self, name: str) -> np.ndarray:
        """A writable array over capability `name`'s tensor slot in guest memory (its dtype
        and dimensions): write the input there before each run, and a run that is not given a
        value for `name` uses it as is, with no copy. Valid for the rune's life. The pipeline
        may reuse the slot during a run, so write it before every run. Only for capabilities
        the rune reads before any other stage (every Runefile's, in practice)."""
        if name not in self._names:
            known = ", ".join(self._names) or "none"
            raise CapabilityError(
                f'the rune has no capability stage named "{name}" (capability stages: {known})'
            )
        index = self._names[name]
        if self._slots is None:
            self._slots = self._guest.input_slots()
        if index not in self._slots:
            raise CapabilityError(
                f'capability "{name}" is read after other stages run; it has no fixed slot to '
                "write into (pass its input to run instead)"
            )
        ptr, length = self._slots[index]
        tensor = self._manifest.capabilities[index].tensor
        self._in_place[index] = IN_PLACE
        view = self._guest._mem[ptr : ptr + length].view(tensor.dtype)
        return view.reshape(tensor.dimensions)

    def _check_manifest(self) -> None:
        """The size limits, checked before anything is allocated."""
        limits, manifest = self._limits, self._manifest
        if limits.max_tensor_bytes is not None:
            for tensor in manifest.tensors:
                if tensor.nbytes > limits.max_tensor_bytes:
                    raise LimitError(
                        f"tensor {tensor.id} ({tensor.describe()}) is {tensor.nbytes} bytes, "
                        f"more than the limit of {limits.max_tensor_bytes} "
                        "(limit max_tensor_bytes / --max-tensor-size)"
                    )
        if limits.max_model_bytes is not None:
            for model in manifest.models:
                if model.blob.length > limits.max_model_bytes:
                    raise LimitError(
                        f'model "{model.name}" is {model.blob.length} bytes, more than the limit '
                        f"of {limits.max_model_bytes} (limit max_model_bytes / --max-model-size)"
                    )
        if limits.memory_bytes is not None:
            self._charge_models(limits.memory_bytes)

    def _charge_models(self, cap: int) -> None:
        """The models' own tensors count against the memory cap, computed from each TFLite
        graph before LiteRT allocates anything; the guest's memory gets what is left."""
        used = 0
        for model in self._manifest.models:
            if model.format != "tensorflow-lite" or not model.blob.length:
                continue
            try:
                used += verify_tflite_graph(self._container.blob(model.blob.offset,
                                                                  model.blob.length))
            except ModelFormatError:
                continue  # the handler reports it, with the model's name
            if used >= cap:
                raise LimitError(
                    f'model "{model.name}" brings the tensors of the models to {used} bytes, '
                    f"more than the memory cap of {cap} (limit memory_bytes / --max-memory)")
        self._guest_limits = replace(self._limits, memory_bytes=cap - used)

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def call_path(self) -> str:
        """How the boundary is crossed: "unchecked", or "public (reason)"."""
        path = self._path
        return path.name if path.fast else f"{path.name} ({path.reason})"

    # -- running (`run` is RuneHost's) ------------------------------------------------------

    def stream(
        self,
        recording: InputValue,
        *,
        hop_ms: float,
        capability: str | None = None,
        inputs: Mapping[str, InputValue] | None = None,
    ) -> Iterator[StreamResult]:
        """Slide the SOUND capability's window over a long recording, `hop_ms` at a time, and
        run once per window (the last one padded with silence). `capability` names the SOUND
        stage when there are several; `inputs` feed the other capabilities on every run."""
        spec = self._sound_stage(capability)
        rate = _caps.int_arg(spec, "hz", "frequency")
        data, where = _caps.read_source(spec, recording)
        try:
            audio = sound.read_wav(data)
        except sound.WavError as exc:
            raise input_error(spec, str(exc), where or "bytes") from None
        rate = rate or audio.rate
        hop = round(hop_ms * rate / 1000)
        if hop < 1:
            raise CapabilityError(f"the hop must be at least one sample, got {hop_ms} ms")
        fixed = dict(inputs or {})
        dtype = spec.tensor.dtype.newbyteorder("=")
        for start, window in sound.windows(audio, rate, spec.tensor.count, hop, dtype):
            fixed[spec.name] = window
            yield StreamResult(start * 1000 / rate, self.run(fixed))

    def _sound_stage(self, name: str | None) -> CapabilitySpec:
        caps = [c for c in self._manifest.capabilities if c.kind == "SOUND"]
        if name is not None:
            caps = [c for c in caps if c.name == name]
        if len(caps) != 1:
            which = f'named "{name}"' if name else "to stream into"
            found = ", ".join(c.name for c in caps) or "none"
            raise CapabilityError(
                f"streaming needs exactly one SOUND capability {which} (found: {found})"
            )
        return caps[0]
