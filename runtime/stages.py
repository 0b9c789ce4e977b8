"""One run of a rune, split into stages: what `rune bench` and `rune eval` report per stage.

A `StagedRune` is a `Rune` whose imports are wrapped with timers (guest.py's `Timings`). Each
`run` returns the outputs and the nanoseconds spent in each stage:

- `inputs`: feeding the capabilities (reading and decoding files, checking sizes);
- `capability_read`, `output_write`, `log`: the rune's calls of those imports;
- `model:<name>`: a handler model's set-input, invoke and get-output imports (copying tensors
  in and out, and running it); a model compiled into the rune (`runec --models=compiled`), with
  `probes`, the guest time between the probes around its operators;
- `guest`: the rest of `rune_run`, the pipeline's own wasm code and the boundary crossings;
- `outputs`: collecting the results;
- `kernel:<stage>`: with `probes` (a rune compiled with `runec --profile`), each kernel's guest
  time (a breakdown of `guest`), and each compiled model's (its `model:<name>` again).

Each timed interval has the cost of reading the clock once subtracted (measured when the rune
is loaded); the wrappers' own remaining cost lands in `guest`.

`restore` puts the rune back as it was after loading (its memory, and the generator of its RAND
inputs), so a run does not see state a kernel kept from earlier runs (noise-filtering's running
noise estimate, for one): what `rune eval` needs for results that do not depend on the order of
the examples.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
from rune.abi.container import RuneContainer

from .capabilities import InputValue
from .guest import PROBES_KEY, Timings
from .host import Rune
from .limits import Limits
from .results import Outputs


def clock_cost() -> int:
    """What reading the clock adds to an interval, in nanoseconds (a median of 2000)."""
    clock = time.perf_counter_ns
    costs = []
    for _ in range(2000):
        start = clock()
        costs.append(clock() - start)
    return int(np.median(costs))


def stage_order(models: Sequence[str]) -> list[str]:
    """Every stage a run of a rune with these models may report, in pipeline order."""
    return ["inputs", "capability_read", *(f"model:{m}" for m in models), "output_write", "log",
            "guest", "outputs"]  # fmt: skip


class StagedRune:
    """A loaded rune whose runs are timed stage by stage (one run at a time, as `Rune`)."""

    def __init__(
        self,
        container: RuneContainer,
        *,
        seed: int = 0,
        limits: Limits | None = None,
        fast_path: bool = True,
        probes: Sequence[str] = (),
    ) -> None:
        self._timings: Timings = {}
        self._probes = tuple(probes)
        self.rune = Rune(
            container, seed=seed, limits=limits, fast_path=fast_path, timings=self._timings
        )
        manifest = self.rune.manifest
        #: Models compiled into the rune whose operators a probe pair brackets.
        self._compiled = {m.name for m in manifest.compiled_models or ()} & set(self._probes)
        self._models = [m.name for m in manifest.models] + [
            m.name for m in manifest.compiled_models or () if m.name in self._compiled]
        self._tick = clock_cost()
        self._memory = self.rune._guest._mem
        self._loaded = self._memory.copy()
        self._rng_state = self.rune._rng.bit_generator.state

    def restore(self) -> None:
        """Back to the state after loading: the linear memory (which can no longer grow) and
        the generator RAND capabilities draw from."""
        self._memory[:] = self._loaded
        self.rune._rng.bit_generator.state = self._rng_state

    @property
    def models(self) -> list[str]:
        """The models whose time a run reports as `model:<name>`: every handler model, and
        every compiled model that the rune's probes time."""
        return list(self._models)

    @property
    def stage_order(self) -> list[str]:
        """Every stage a run may report, in pipeline order."""
        return stage_order(self._models)

    def run(self, inputs: Mapping[str, InputValue]) -> tuple[Outputs, dict[str, int]]:
        """Run once; the outputs, and nanoseconds per stage (stages the run did not reach
        are absent)."""
        rune, timings, tick, clock = self.rune, self._timings, self._tick, time.perf_counter_ns
        guest = rune._guest
        timings.clear()
        t0 = clock()
        rune._prepare(inputs)
        t1 = clock()
        guest.run()
        t2 = clock()
        values = guest.collect()
        t3 = clock()
        stage = {"inputs": t1 - t0 - tick, "guest": t2 - t1 - tick, "outputs": t3 - t2 - tick}
        stamps = timings.pop(PROBES_KEY, None)
        for k, kernel in enumerate(self._probes):
            if stamps is not None and 2 * k + 1 < len(stamps):
                stage[f"kernel:{kernel}"] = ns = stamps[2 * k + 1] - stamps[2 * k] - tick
                if kernel in self._compiled:
                    stage[f"model:{kernel}"] = ns
                    stage["guest"] -= ns
        for key, (ns, calls) in timings.items():
            name = f"model:{self._models[int(key[6:])]}" if key.startswith("model:") else key
            stage[name] = stage.get(name, 0) + ns - calls * tick
            stage["guest"] -= ns
        return Outputs.lazy(rune._layout, values), stage
