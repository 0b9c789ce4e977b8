"""The MCU wasm profile: `runec --target=wasm32-mcu` emits MVP-only modules that import only the
rune ABI, take no more memory than they need, and run on wasm3 exactly as on wasmtime.

The module checks decode the binaries here (wasm_binary.py), independently of either engine.
The default wasm32 target (SIMD128) is shown to be rejected by wasm3, which is what the
profile exists to prevent.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from rune.abi.container import read_rune
from rune.backend_wasm.target import TARGETS
from rune.runtime.errors import CapabilityError, RuneLoadError
from rune.runtime.host import Rune

from .conftest import case_names, case_of
from .mcu_support import covered, elements, plain, same_elements
from .wasm_binary import PAGE, mvp_violations, object_segments, parse_module, static_bytes

ABI_IMPORTS = {
    "capability_read": (("i32",) * 3, ("i32",)),
    "model_set_input": (("i32",) * 4, ("i32",)),
    "model_invoke": (("i32",), ("i32",)),
    "model_get_output": (("i32",) * 4, ("i32",)),
    "output_write": (("i32",) * 4, ("i32",)),
    "log": (("i32",) * 3, ()),
}
MCU = TARGETS["wasm32-mcu"]
COMPILED_FLOAT_BOUND = 1e-5
#: runes with real kernels, where -Os and no vectorising must show in the code size
KERNEL_HEAVY = ("modulo1024", "front-end-up", "microspeech-up")


def wasm3_host():
    pytest.importorskip("wasm3", reason="pywasm3 is not installed: pip install pywasm3==0.5.0 "
                                        "(`make test-mcu` installs it)")
    from rune.runtime.wasm3_host import Wasm3Rune

    return Wasm3Rune


@pytest.mark.parametrize("name", case_names())
def test_module_is_mvp_only(wasm_builds, name):
    _, mcu, _, _ = case_of(wasm_builds, name)
    module = parse_module(read_rune(mcu.read_bytes()).wasm)
    assert mvp_violations(module) == []
    assert "target_features" not in module.custom
    every_op = {op for ops in module.opcodes for op, _ in ops}
    assert not every_op & {0x3F, 0x40}, "memory.size/memory.grow: ABI v1 never grows memory"
    assert module.code_size > 0 and module.functions
    covered("MVP-only wasm32-mcu module", name)


@pytest.mark.parametrize("name", case_names())
def test_module_imports_only_the_rune_abi(wasm_builds, name):
    _, mcu, _, _ = case_of(wasm_builds, name)
    module = parse_module(read_rune(mcu.read_bytes()).wasm)
    for imp in module.imports:
        assert (imp.module, imp.kind) == ("rune", "func"), imp
        assert module.types[imp.type_index] == ABI_IMPORTS[imp.name], imp.name
    assert set(module.exports) == {"memory", "rune_run"}
    assert module.exports["memory"][0] == "memory"
    assert module.types[module.functions[module.exports["rune_run"][1] - len(module.imports)]] \
        == ((), ("i32",))


@pytest.mark.parametrize("name", case_names())
def test_memory_is_stack_data_and_arena_only(wasm_builds, name):
    """Initial pages = ceil((stack + static data) / 64 KiB), where the static data is the
    object's segments: the planned arena (the manifest's size exactly), kernel tables and
    kernel state. The segments' own alignment padding is the only slack allowed."""
    _, mcu, obj, _ = case_of(wasm_builds, name)
    container = read_rune(mcu.read_bytes())
    module = parse_module(container.wasm)
    arena = container.manifest["memory"]["arena_bytes"]

    stack_pointer = module.globals[0]
    assert stack_pointer[:2] == ("i32", True)
    assert module.global_init(0) == MCU.stack_bytes == 4096  # --stack-first: data starts here

    segments = object_segments(obj.read_bytes())
    arenas = [s for s in segments if s.name == ".bss.rune.arena"]
    assert [s.size for s in arenas] == ([arena] if arena else [])
    lower = MCU.stack_bytes + sum(s.size for s in segments)
    upper = static_bytes(segments, MCU.stack_bytes) + sum(s.alignment - 1 for s in segments)
    assert -(-lower // PAGE) <= module.min_pages <= max(1, -(-upper // PAGE))
    assert module.memories[0][2] in (None, module.min_pages)  # no room to grow into
    # The data section initialises only bytes inside that static region.
    for segment in module.data:
        assert MCU.stack_bytes <= segment.offset and segment.offset + len(segment.data) <= upper
    covered(f"memory = stack {MCU.stack_bytes} + data + arena", f"{name} ({module.min_pages}p)")


@pytest.mark.parametrize("name", KERNEL_HEAVY)
def test_mcu_module_is_smaller_than_the_simd_one(wasm_builds, name):
    _, mcu, _, simd = case_of(wasm_builds, name)
    small = parse_module(read_rune(mcu.read_bytes()).wasm)
    fast = parse_module(read_rune(simd.read_bytes()).wasm)
    assert small.code_size < fast.code_size, (small.code_size, fast.code_size)


@pytest.mark.parametrize("name", case_names())
def test_wasm3_and_wasmtime_give_identical_outputs(wasm_builds, name):
    Wasm3Rune = wasm3_host()
    case, mcu, _, simd = case_of(wasm_builds, name)
    on_wasm3 = Wasm3Rune.load(mcu).run(case.inputs)
    on_wasmtime = Rune.load(mcu).run(case.inputs)
    simd_on_wasmtime = Rune.load(simd).run(case.inputs)
    assert plain(on_wasm3) == plain(on_wasmtime)
    got = elements(on_wasm3)
    # The MCU build computes its models in the rune with LiteRT's reference arithmetic; the SIMD
    # build hands them to LiteRT's optimised kernels. Integers agree exactly, floats within the
    # bound compiled float models keep (tests/models_compiled).
    compiled = bool(read_rune(mcu.read_bytes()).manifest.get("compiled_models"))
    tolerance = COMPILED_FLOAT_BOUND if compiled else 1e-7
    if compiled:
        assert same_elements(elements(simd_on_wasmtime), got, tolerance)
    else:
        assert plain(on_wasmtime) == plain(simd_on_wasmtime)
    if case.expected is not None:
        assert same_elements(got, case.expected, tolerance), (got, case.expected)
    else:  # the front end: 1960 i8 features that actually vary
        (features,), = got
        assert len(features) == 1960 and len(set(features)) > 20
    covered("identical outputs on wasmtime (MVP and SIMD builds) and wasm3", name)


def test_wasm3_runs_repeatedly_with_state(wasm_builds):
    """noise-filtering keeps its noise estimate across runs: four words in a row on one
    instance must match wasmtime's four runs, run by run."""
    Wasm3Rune = wasm3_host()
    from .mcu_support import RUN_PASS, WORDS, wav_samples

    _, mcu, _, _ = case_of(wasm_builds, "front-end-up")
    on_wasm3, on_wasmtime = Wasm3Rune.load(mcu), Rune.load(mcu)
    seen = []
    for word in WORDS:
        audio = {"audio": wav_samples(RUN_PASS / f"microspeech-{word}" / f"{word}.wav")}
        first, second = plain(on_wasm3.run(audio)), plain(on_wasmtime.run(audio))
        assert first == second
        seen.append(first)
    assert len({json.dumps(str(s)) for s in seen}) == 4


def test_simd_rune_is_rejected_by_wasm3(wasm_builds):
    """The default wasm32 build of a vectorising kernel uses SIMD128; wasm3 refuses it with its
    own "unknown value_type". The wasm32-mcu build of the same Runefile runs there."""
    Wasm3Rune = wasm3_host()
    import wasm3

    case, mcu, _, simd = case_of(wasm_builds, "modulo1024")
    simd_wasm = read_rune(simd.read_bytes()).wasm
    module = parse_module(simd_wasm)
    assert any("v128" in v or "SIMD" in v for v in mvp_violations(module))
    assert "+simd128" in module.target_features()

    env = wasm3.Environment()
    runtime = env.new_runtime(64 * 1024)
    raw = env.parse_module(simd_wasm)
    runtime.load(raw)
    with pytest.raises(RuntimeError, match="unknown value_type"):
        runtime.find_function("rune_run")
    with pytest.raises(RuneLoadError, match="unknown value_type"):
        Wasm3Rune.load(simd)

    (values,), = elements(Wasm3Rune.load(mcu).run(case.inputs))
    expected = np.fmod(case.inputs["values"], np.float32(360.0))
    assert np.array_equal(np.asarray(values, dtype=np.float32), expected)
    covered("wasm32 (SIMD) rejected by wasm3, wasm32-mcu accepted", "modulo1024")


def test_simd_microspeech_is_rejected_by_wasm3(wasm_builds):
    Wasm3Rune = wasm3_host()
    _, _, _, simd = case_of(wasm_builds, "microspeech-up")
    assert any("SIMD" in v for v in mvp_violations(parse_module(read_rune(
        simd.read_bytes()).wasm)))
    with pytest.raises(RuneLoadError, match="unknown value_type"):
        Wasm3Rune.load(simd)
    covered("wasm32 (SIMD) rejected by wasm3, wasm32-mcu accepted", "microspeech-up")


def test_wasm3_host_refuses_foreign_imports():
    Wasm3Rune = wasm3_host()
    from rune.abi.container import write_rune
    from rune.runtime.wasm3_host import check_imports

    # (module (import "env" "memcpy" (func (param i32 i32 i32) (result i32))))
    wasm = bytes.fromhex("0061736d01000000" "01080160037f7f7f017f" "020e0103656e76066d656d637079"
                         "0000")
    with pytest.raises(RuneLoadError, match='import "env" "memcpy".*ABI v1 does not provide'):
        check_imports(wasm)
    manifest = {"abi_version": 1, "name": "x", "tensors": [], "capabilities": [],
                "models": [], "outputs": [], "stages": [], "memory": {"arena_bytes": 0}}
    with pytest.raises(RuneLoadError, match="env"):
        Wasm3Rune.load(write_rune(wasm, manifest, b""))


def test_wasm3_host_checks_input_sizes(wasm_builds):
    Wasm3Rune = wasm3_host()
    _, mcu, _, _ = case_of(wasm_builds, "noop")
    rune = Wasm3Rune.load(mcu)
    with pytest.raises(CapabilityError, match="needs exactly 16 bytes"):
        rune.run({"input": b"\0" * 12})
    (values,), = elements(rune.run({"input": np.arange(4, dtype="<i4").tobytes()}))
    assert values == [0, 1, 2, 3]


def test_compiled_microspeech_imports_no_model_function(wasm_builds):
    """wasm32-mcu compiles models into the rune by default: the microspeech rune imports only
    capability_read and output_write, carries no model blob, and its manifest says so."""
    _, mcu, _, simd = case_of(wasm_builds, "microspeech-up")
    container = read_rune(mcu.read_bytes())
    assert {imp.name for imp in parse_module(container.wasm).imports} == {
        "capability_read", "output_write"}
    assert container.manifest["models"] == []
    (compiled,) = container.manifest["compiled_models"]
    assert (compiled["name"], compiled["model"], compiled["operators"]) == (
        "model", "model.tflite", 4)
    assert len(container.blobs) == 0
    handler = read_rune(simd.read_bytes())  # wasm32 keeps the host's handler by default
    assert [m["name"] for m in handler.manifest["models"]] == ["model"]
    assert "model_invoke" in {imp.name for imp in parse_module(handler.wasm).imports}
