"""The arena a model alone needs in TensorFlow Lite Micro and in LiteRT, measured with their
own interpreters, each in a fresh process (both print from C; a bad probe cannot crash us).

TFLM (the `tflite-micro` wheel, pinned in the dev extra): the allocation report of an
interpreter given a large arena (`print_allocations`: total; head, the activations its greedy
planner laid out; tail, persistent structures), and the smallest `arena_size` with which
`AllocateTensors` succeeds, found by bisection. TFLM refuses uint8 models ("Hybrid models are
not supported"); then the reason is returned instead.

LiteRT (default kernels, no delegate): the span of addresses its arena planner gave the
model's activations (every operator output and the inputs), read through numpy views of the
tensors. Kernel scratch tensors (im2col, ...) that LiteRT adds are not visible from Python: when
a model has some, the span is a lower bound and `hidden` counts them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LARGE = 8 << 20  # bytes: enough for every peer-suite model
PROBE = """
import sys
from tflite_micro.python.tflite_micro import runtime
try:
    interpreter = runtime.Interpreter.from_file(sys.argv[1], arena_size=int(sys.argv[2]))
except RuntimeError:
    sys.exit(3)
if sys.argv[3] == "report":
    interpreter.print_allocations()
"""
FIGURE = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


LITERT = """
import sys
from ai_edge_litert.interpreter import Interpreter, OpResolverType
it = Interpreter(model_path=sys.argv[1],
                 experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
it.allocate_tensors()
raw = it._interpreter
visible = {d["index"] for d in it.get_tensor_details()}
ids = set(raw.InputIndices())
for node in range(raw.NumNodes()):
    ids.update(raw.NodeOutputs(node))
spans = [(v.ctypes.data, v.nbytes) for v in (it.tensor(i)() for i in sorted(ids & visible))]
low = min(a for a, _ in spans)
print(max(a + n for a, n in spans) - low, raw.NumTensors(0) - len(visible))
"""


@dataclass(frozen=True)
class LitertArena:
    span: int  # bytes from the first to the end of the last activation in LiteRT's arena
    hidden: int  # tensors LiteRT added (kernel scratch) that Python cannot see


def litert_arena(model: Path) -> LitertArena:
    done = subprocess.run([sys.executable, "-c", LITERT, str(model)], capture_output=True,
                          text=True, timeout=120, check=True)
    span, hidden = done.stdout.split()
    return LitertArena(int(span), int(hidden))


@dataclass(frozen=True)
class TflmArena:
    total: int  # what the allocation report says the arena holds
    head: int  # the planned activations (TFLM's greedy memory planner)
    tail: int  # persistent data: tensor structs, quantisation, op data
    smallest: int  # the smallest arena_size that allocates


def _probe(model: Path, size: int, report: bool) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, str(model), str(size),
                           "report" if report else "-"],
                          capture_output=True, text=True, timeout=120)


def tflm_arena(model: Path) -> TflmArena | str:
    """The model's TFLM arena, or why TFLM would not run it."""
    first = _probe(model, LARGE, report=True)
    if first.returncode != 0:
        lines = [line for line in (first.stdout + first.stderr).splitlines()
                 if "not supported" in line or "failed to prepare" in line]
        return "; ".join(lines) or f"TFLM failed (exit {first.returncode})"
    figures = {kind: int(n) for kind, n in FIGURE.findall(first.stdout + first.stderr)}
    low, high = 0, figures["total"] + 4096  # low fails, high allocates
    while high - low > 1:
        middle = (low + high) // 2
        if _probe(model, middle, report=False).returncode == 0:
            high = middle
        else:
            low = middle
    return TflmArena(figures["total"], figures["head"], figures["tail"], high)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(path, tflm_arena(Path(path)), litert_arena(Path(path)))
