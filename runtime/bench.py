"""`rune bench`: latency of runs, per stage and in total, with model time and host overhead.

Inputs are decoded once (a WAV resampled, an image resized) and every run is fed the resulting
tensors, as an application that already holds its data would do.

Two passes over the same inputs, each after its own warm-up:
1. plain: `Rune.run` timed as a whole, as an application sees it (`total`);
2. instrumented: a second instance whose imports are wrapped with timers, giving each stage:
   `inputs` (feeding the capabilities), `capability_read`, `model:<name>`, `output_write`,
   `log`, `guest` (the rest of `rune_run`: the pipeline's own wasm code and the boundary
   crossings) and `outputs` (collecting the results).

A rune compiled with `runec --profile` also calls the `probe` import around every kernel (a proc
block or a fused group) and around the operators of every model compiled into it (`runec
--models=compiled`): `kernels` then holds each one's guest time, in call order.

The definitions, per run:
- `model:<name>` of a model run by a host handler: its set-input, invoke and get-output imports
  (copying tensors in and out of the handler, and running it);
- `model:<name>` of a compiled model: the guest time between the probes around its operators
  (its row in `kernels`); it is not part of `guest`. Without `--profile` nothing times it: the
  report then has no `model` and no `host overhead` (None, `null` in JSON) and names the
  untimed models, rather than count their time as overhead;
- `model`: the sum of the `model:<name>` stages of the instrumented pass;
- `host overhead` at percentile p: `total` at p minus the median `model`: everything a run costs
  beyond the models (feeding inputs, crossing the boundary, the proc blocks' wasm code, copying
  outputs out; in a profiled rune also its probe calls, about 0.4 µs each, two per kernel).

Each timed interval has the cost of reading the clock once subtracted (measured at the start);
the wrappers' own remaining cost lands in `guest`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rune.abi.container import RuneContainer

from .capabilities import InputValue, as_u8
from .errors import RuneLoadError
from .host import Rune
from .limits import Limits
from .stages import StagedRune

PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class Stats:
    """Latency percentiles and extremes of one stage, in microseconds."""

    p50: float
    p90: float
    p99: float
    min: float
    max: float
    mean: float

    @classmethod
    def of(cls, nanoseconds: Sequence[float]) -> Stats:
        us = np.asarray(nanoseconds, dtype=np.float64) / 1000.0
        p50, p90, p99 = np.percentile(us, PERCENTILES)
        return cls(float(p50), float(p90), float(p99), float(us.min()), float(us.max()),
                   float(us.mean()))  # fmt: skip

    def minus(self, value: float) -> Stats:
        return Stats(*(getattr(self, f) - value for f in ("p50", "p90", "p99", "min", "max",
                                                           "mean")))  # fmt: skip


@dataclass(frozen=True)
class BenchReport:
    name: str
    runs: int
    warmup: int
    call_path: str
    module_source: str
    total: Stats
    #: None when a compiled model is not timed (no probes): see the module docstring.
    model: Stats | None
    overhead: Stats | None
    stages: dict[str, Stats] = field(default_factory=dict)
    kernels: dict[str, Stats] = field(default_factory=dict)
    #: Models compiled into the rune that no probe times (compiled without `--profile`).
    untimed_models: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rune": self.name,
            "runs": self.runs,
            "warmup": self.warmup,
            "call_path": self.call_path,
            "module": self.module_source,
            "unit": "us",
            "total": vars(self.total),
            "model": None if self.model is None else vars(self.model),
            "host_overhead": None if self.overhead is None else vars(self.overhead),
            "stages": {name: vars(stats) for name, stats in self.stages.items()},
            "kernels": {name: vars(stats) for name, stats in self.kernels.items()},
            "untimed_models": list(self.untimed_models),
        }

    def to_text(self) -> str:
        lines = [
            f"rune {self.name}: {self.runs} runs after {self.warmup} warm-up, call path "
            f"{self.call_path}, module {self.module_source}",
            "",
            f"{'stage':<24}{'p50 µs':>10}{'p90 µs':>10}{'p99 µs':>10}{'max µs':>11}",
        ]
        kernels = [(f"  {name}", stats) for name, stats in self.kernels.items()]
        rows = [*self.stages.items(), *kernels, ("", None), ("total", self.total),
                ("model", self.model), ("host overhead", self.overhead)]  # fmt: skip
        for name, s in rows:
            if s is None:
                lines.append(f"{name:<24}{'n/a':>10}" if name else "")
                continue
            lines.append(f"{name:<24}{s.p50:>10.2f}{s.p90:>10.2f}{s.p99:>10.2f}{s.max:>11.1f}")
        if self.untimed_models:
            lines.append(f"(compiled model {', '.join(self.untimed_models)} runs inside the guest "
                         "untimed: compile with `runec --profile` to time it)")
        return "\n".join(lines)


def decode_inputs(rune: Rune, inputs: Mapping[str, InputValue]) -> dict[str, bytes]:
    """Each capability's tensor bytes for `inputs`, decoded once (RAND stages are left out,
    so they draw fresh values every run)."""
    decoded = {}
    for spec, feed, _ in rune._feeds:
        if spec.kind != "RAND":
            decoded[spec.name] = as_u8(feed(inputs.get(spec.name))).tobytes()
    return decoded


def bench(
    container: RuneContainer,
    inputs: Mapping[str, InputValue],
    *,
    runs: int = 10_000,
    warmup: int = 1_000,
    limits: Limits | None = None,
    fast_path: bool = True,
    seed: int = 0,
    kernels: bool = False,
) -> BenchReport:
    """Time `runs` runs of the rune on `inputs` (see the module docstring). `kernels` insists
    on per-kernel times: a RuneLoadError if the rune was compiled without `--profile`."""
    probes = list(parse_probes(container))
    if kernels and not probes:
        raise RuneLoadError("the rune has no stage probes: compile it with `runec --profile` "
                            "to time each kernel")
    plain = Rune(container, seed=seed, limits=limits, fast_path=fast_path)
    decoded = decode_inputs(plain, inputs)
    for _ in range(warmup):
        plain.run(decoded)
    clock = time.perf_counter_ns
    totals = np.empty(runs)
    for i in range(runs):
        start = clock()
        plain.run(decoded)
        totals[i] = clock() - start

    timed = StagedRune(container, seed=seed, limits=limits, fast_path=fast_path,
                       probes=probes)
    untimed = tuple(m.name for m in timed.rune.manifest.compiled_models or ()
                    if m.name not in timed.models)  # fmt: skip
    samples: dict[str, list[int]] = {}
    for i in range(warmup + runs):
        stage = timed.run(decoded)[1]
        if i < warmup:
            continue
        for name, value in stage.items():
            samples.setdefault(name, []).append(value)
    stages = {name: Stats.of(samples[name]) for name in timed.stage_order if name in samples}
    kernel_stats = {name: Stats.of(samples[f"kernel:{name}"]) for name in probes
                    if f"kernel:{name}" in samples}
    model_ns = np.zeros(runs)
    for name in timed.models:
        model_ns += np.asarray(samples.get(f"model:{name}", [0] * runs), dtype=np.float64)
    model = None if untimed else Stats.of(model_ns)
    total = Stats.of(totals)
    return BenchReport(
        name=plain.manifest.name,
        runs=runs,
        warmup=warmup,
        call_path=plain.call_path,
        module_source=plain.module_source,
        total=total,
        model=model,
        overhead=None if model is None else total.minus(model.p50),
        stages=stages,
        kernels=kernel_stats,
        untimed_models=untimed,
    )


def parse_probes(container: RuneContainer) -> tuple[str, ...]:
    """The kernel each probe pair times (manifest `probes`, from insert-stage-probes)."""
    probes = container.manifest.get("probes", [])
    if not isinstance(probes, list) or not all(isinstance(p, str) for p in probes):
        raise RuneLoadError("bad manifest: manifest.probes must be a list of stage names")
    return tuple(probes)
