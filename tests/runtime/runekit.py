"""Build small test runes by hand (WAT + manifest dict), without the compiler.

Each builder returns `.rune` bytes implementing ABI v1 (docs/abi.md) for one behaviour the
runtime must handle. The WAT is kept short and explicit so a failing test is easy to read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import wasmtime
from rune.abi.container import write_rune

PEER = Path("/work/shared/peer-suite/hotg-rune")
SINE_MODEL = PEER / "examples/sine/sinemodel.tflite"

IMPORTS = """
  (import "rune" "capability_read" (func $capability_read (param i32 i32 i32) (result i32)))
  (import "rune" "model_set_input" (func $model_set_input (param i32 i32 i32 i32) (result i32)))
  (import "rune" "model_invoke" (func $model_invoke (param i32) (result i32)))
  (import "rune" "model_get_output" (func $model_get_output (param i32 i32 i32 i32) (result i32)))
  (import "rune" "output_write" (func $output_write (param i32 i32 i32 i32) (result i32)))
  (import "rune" "log" (func $log (param i32 i32 i32)))
"""


def checked(call: str) -> str:
    """WAT for: run an import call; return its status from rune_run if non-zero (ABI rule)."""
    return f"(local.set $s {call}) (if (local.get $s) (then (return (local.get $s))))"


def module(run_body: str, extra: str = "", pages: int = 1) -> str:
    """A module with all six imports, one exported memory and `rune_run` (local $s, $i)."""
    return f"""(module {IMPORTS}
  (memory (export "memory") {pages})
  {extra}
  (func (export "rune_run") (result i32) (local $s i32) (local $i i32)
    {run_body}
    (i32.const 0)))"""


def tensor(tid: int, element_type: str, dims: list[int]) -> dict[str, Any]:
    return {"id": tid, "element_type": element_type, "dimensions": dims}


def capability(
    index: int, name: str, kind: str, out: int, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"index": index, "name": name, "kind": kind, "args": args or {}, "outputs": [out]}


def output(index: int, name: str, inputs: list[int], kind: str = "serial") -> dict[str, Any]:
    return {"index": index, "name": name, "kind": kind, "args": {}, "inputs": inputs}


def manifest(
    *,
    name: str = "test",
    tensors: list[dict[str, Any]],
    capabilities: list[dict[str, Any]] | None = None,
    models: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    stages: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "abi_version": 1,
        "name": name,
        "image": "runicos/base",
        "compiler": "hand-written test",
        "tensors": tensors,
        "capabilities": capabilities or [],
        "models": models or [],
        "outputs": outputs or [],
        "stages": stages or [],
        "memory": {"arena_bytes": 0},
    }


def make_rune(wat: str, man: dict[str, Any], blobs: bytes = b"") -> bytes:
    return write_rune(wasmtime.wat2wasm(wat), man, blobs)


# -- ready-made runes ---------------------------------------------------------------------------


def double_manifest(kind: str = "RAW", args: dict[str, Any] | None = None) -> dict[str, Any]:
    return manifest(
        name="double",
        tensors=[tensor(0, "i32", [4]), tensor(1, "i32", [4])],
        capabilities=[capability(0, "input", kind, 0, args)],
        outputs=[output(0, "serial", [1])],
        stages=[
            {"name": "input", "kind": "capability", "inputs": [], "outputs": [0]},
            {
                "name": "double",
                "kind": "proc-block",
                "proc_block": "double",
                "inputs": [0],
                "outputs": [1],
            },
            {"name": "serial", "kind": "output", "inputs": [1], "outputs": []},
        ],
    )


def double_rune(kind: str = "RAW", args: dict[str, Any] | None = None) -> bytes:
    """Reads capability 0 (i32[4]) to address 0, doubles each element, logs, writes output 0."""
    body = f"""
    {checked("(call $capability_read (i32.const 0) (i32.const 0) (i32.const 16))")}
    (call $log (i32.const 2) (i32.const 64) (i32.const 8))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 16)))
      (i32.store (local.get $i) (i32.mul (i32.load (local.get $i)) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    {checked("(call $output_write (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16))")}
    """
    return make_rune(module(body, '(data (i32.const 64) "doubling")'), double_manifest(kind, args))


def sine_manifest(fmt: str = "tensorflow-lite", length: int | None = None) -> dict[str, Any]:
    return manifest(
        name="sine",
        tensors=[tensor(0, "f32", [1, 1]), tensor(1, "f32", [1, 1])],
        capabilities=[capability(0, "input", "RAW", 0, {"length": 4})],
        models=[
            {
                "index": 0,
                "name": "sine",
                "format": fmt,
                "blob": {
                    "offset": 0,
                    "length": SINE_MODEL.stat().st_size if length is None else length,
                },
                "inputs": [0],
                "outputs": [1],
            }
        ],
        outputs=[output(0, "serial", [1])],
    )


def sine_rune(fmt: str = "tensorflow-lite") -> bytes:
    """RAW f32[1,1] at 0 -> model 0 -> f32[1,1] at 16 -> output 0."""
    body = "\n".join(
        checked(call)
        for call in (
            "(call $capability_read (i32.const 0) (i32.const 0) (i32.const 4))",
            "(call $model_set_input (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 4))",
            "(call $model_invoke (i32.const 0))",
            "(call $model_get_output (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 4))",
            "(call $output_write (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 4))",
        )
    )
    return make_rune(module(body), sine_manifest(fmt), SINE_MODEL.read_bytes())


def utf8_rune(first_ptr: int = 64) -> bytes:
    """Output 0 gets utf8[2]: pairs at 0 naming "hello" (first_ptr) and "wörld" (at 69)."""
    extra = f"""
    (data (i32.const 0) "{_le32(first_ptr)}\\05\\00\\00\\00\\45\\00\\00\\00\\06\\00\\00\\00")
    (data (i32.const 64) "hellow\\c3\\b6rld")"""
    body = checked("(call $output_write (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16))")
    man = manifest(
        name="labels", tensors=[tensor(0, "utf8", [2])], outputs=[output(0, "labels", [0])]
    )
    return make_rune(module(body, extra), man)


def _le32(value: int) -> str:
    return "".join(f"\\{b:02x}" for b in value.to_bytes(4, "little"))


def output_only_rune(etype: str, dims: list[int], ptr: int, length: int, data: str = "") -> bytes:
    """Writes [ptr, ptr+len) as output 0 (declared etype[dims]); `data` is a WAT data segment
    body placed at address 0."""
    extra = f'(data (i32.const 0) "{data}")' if data else ""
    call = (
        f"(call $output_write (i32.const 0) (i32.const 0) (i32.const {ptr}) (i32.const {length}))"
    )
    man = manifest(tensors=[tensor(0, etype, dims)], outputs=[output(0, "serial", [0])])
    return make_rune(module(checked(call), extra), man)


def body_rune(body: str, man: dict[str, Any] | None = None, extra: str = "") -> bytes:
    """A rune whose rune_run is `body` (then returns 0) with a minimal manifest."""
    return make_rune(module(body, extra), man or manifest(tensors=[]))


def rand_rune(etype: str, dims: list[int], nbytes: int) -> bytes:
    """RAND capability 0 (etype[dims]) copied straight to output 0."""
    body = "\n".join(
        checked(call)
        for call in (
            f"(call $capability_read (i32.const 0) (i32.const 0) (i32.const {nbytes}))",
            f"(call $output_write (i32.const 0) (i32.const 0) (i32.const 0) (i32.const {nbytes}))",
        )
    )
    man = manifest(
        name="rand",
        tensors=[tensor(0, etype, dims)],
        capabilities=[capability(0, "rand", "RAND", 0)],
        outputs=[output(0, "serial", [0])],
    )
    return make_rune(module(body), man)


def multi_raw_rune() -> bytes:
    """The peer case `multiple-outputs`: RAW u8[16] and RAW i32[4] straight to one output."""
    body = "\n".join(
        checked(call)
        for call in (
            "(call $capability_read (i32.const 0) (i32.const 0) (i32.const 16))",
            "(call $capability_read (i32.const 1) (i32.const 16) (i32.const 16))",
            "(call $output_write (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16))",
            "(call $output_write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 16))",
        )
    )
    man = manifest(
        name="multiple-outputs",
        tensors=[tensor(0, "u8", [16]), tensor(1, "i32", [4])],
        capabilities=[
            capability(0, "byte_input", "RAW", 0),
            capability(1, "integer_input", "RAW", 1),
        ],
        outputs=[output(0, "output", [0, 1])],
    )
    return make_rune(module(body), man)


def echo_rune(
    kind: str,
    etype: str,
    dims: list[int],
    args: list[dict[str, Any]] | dict[str, Any] | None = None,
) -> bytes:
    """Capabilities of one `kind` (one per entry of `args`), each copied to its own output:
    a rune that shows exactly what the host fed it."""
    arg_list = args if isinstance(args, list) else [args or {}]
    nbytes = tensor(0, etype, dims)
    size = _nbytes(etype, dims)
    calls = []
    for i in range(len(arg_list)):
        offset = i * ((size + 7) // 8 * 8)
        calls.append(
            f"(call $capability_read (i32.const {i}) (i32.const {offset}) (i32.const {size}))"
        )
        calls.append(
            f"(call $output_write (i32.const {i}) (i32.const 0) (i32.const {offset}) "
            f"(i32.const {size}))"
        )
    pages = max(1, -(-len(arg_list) * ((size + 7) // 8 * 8) // 65536))
    man = manifest(
        name="echo",
        tensors=[{**nbytes, "id": i} for i in range(len(arg_list))],
        capabilities=[capability(i, f"in{i}", kind, i, a) for i, a in enumerate(arg_list)],
        outputs=[output(i, f"out{i}", [i]) for i in range(len(arg_list))],
    )
    return make_rune(module("\n".join(checked(c) for c in calls), pages=pages), man)


def _nbytes(etype: str, dims: list[int]) -> int:
    size = {"u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "f32": 4, "f64": 8}[etype]
    for d in dims:
        size *= d
    return size


def model_rune(fmt: str, blob: bytes, etype: str, in_dims: list[int], out_dims: list[int]) -> bytes:
    """RAW input -> model 0 (any format) -> output 0; one element type throughout."""
    n_in, n_out = _nbytes(etype, in_dims), _nbytes(etype, out_dims)
    out_at = (n_in + 15) // 16 * 16
    body = "\n".join(
        checked(call)
        for call in (
            f"(call $capability_read (i32.const 0) (i32.const 0) (i32.const {n_in}))",
            f"(call $model_set_input (i32.const 0) (i32.const 0) (i32.const 0) (i32.const {n_in}))",
            "(call $model_invoke (i32.const 0))",
            f"(call $model_get_output (i32.const 0) (i32.const 0) (i32.const {out_at}) "
            f"(i32.const {n_out}))",
            f"(call $output_write (i32.const 0) (i32.const 0) (i32.const {out_at}) "
            f"(i32.const {n_out}))",
        )
    )
    man = manifest(
        name="model",
        tensors=[tensor(0, etype, in_dims), tensor(1, etype, out_dims)],
        capabilities=[capability(0, "input", "RAW", 0)],
        models=[
            {
                "index": 0,
                "name": "net",
                "format": fmt,
                "blob": {"offset": 0, "length": len(blob)},
                "inputs": [0],
                "outputs": [1],
            }
        ],
        outputs=[output(0, "serial", [1])],
    )
    return make_rune(module(body), man, blob)
