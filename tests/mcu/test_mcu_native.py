"""Native Cortex-M4 code from the same IR: `runec --target=thumbv7em-none-eabihf --emit=obj`
linked with the harness in mcu/ and run on qemu's mps2-an386, against the wasm rune.

The microspeech front end (fft, then noise-filtering) must give the wasm rune's features byte
for byte on the peer suite's four WAV files (their first 16000 samples as i16). The full
microspeech pipeline and the sine example run with the model hook returning canned outputs
(TFLite Micro is not built here); the tensors the rune hands the model are compared instead.

Skips, saying which, where Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi or
qemu-system-arm are absent; `make test-mcu` installs them.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from rune.abi.container import read_rune
from rune.runtime.host import Rune

from .conftest import case_of
from .mcu_support import (
    REPO,
    RUN_PASS,
    RUNEFILES,
    WORDS,
    CannedModel,
    canned_handlers,
    covered,
    elements,
    runec_many,
    wav_samples,
)

firmware = pytest.importorskip("firmware", reason="mcu/firmware.py is not importable")
NATIVE = "thumbv7em-none-eabihf"
LABELS = ("silence", "unknown", "up", "down", "left", "right")
MICROSPEECH = RUN_PASS / "microspeech-up" / "Runefile.yml"
HANDLER = "--models=handler"  # the model runs through the firmware's hook
#: what the object may leave for the firmware to supply: the hooks, the EABI soft-double
#: helpers and libm (Cortex-M4F has a single-precision FPU only)
ALLOWED_UNDEFINED = re.compile(r"^(rune_(capability_read|model_set_input|model_invoke|"
                               r"model_get_output|output_write)|__aeabi_\w+|sqrt|trunc|"
                               r"floor|ceil|memcpy|memset|memmove)$")


@pytest.fixture(scope="session")
def tools() -> None:
    missing = firmware.missing_tools()
    if missing:
        pytest.skip(f"Debian packages absent: {', '.join(missing)} "
                    "(`make test-mcu` installs them)")


@pytest.fixture(scope="session")
def native(tools, tmp_path_factory) -> dict[str, firmware.Firmware]:
    """name -> firmware linked from the runec object, for the front end, the full microspeech
    rune and the sine example."""
    out = tmp_path_factory.mktemp("mcu-native")
    sources = {
        "front-end": (RUNEFILES / "front_end" / "Runefile.yml",),
        "microspeech-up": (MICROSPEECH,),  # the model compiled in: the MCU targets' default
        "microspeech-handler": (MICROSPEECH, HANDLER),
        "example-sine-handler": (REPO / "examples" / "sine" / "Runefile.yml", HANDLER),
    }
    results = runec_many((src, out / f"{name}.o", NATIVE, "obj", *flags)
                         for name, (src, *flags) in sources.items())
    built = {}
    for name, result in zip(sources, results, strict=True):
        obj = result.check()
        assert obj.with_suffix(".h").is_file(), "runec writes the header beside the object"
        built[name] = firmware.build(obj, out / f"{name}-fw")
    return built


@pytest.fixture(scope="session")
def handler_wasm(tmp_path_factory) -> dict[str, Path]:
    """wasm32-mcu runes that run their model through the host (`--models=handler`), for the
    canned-model comparisons."""
    out = tmp_path_factory.mktemp("mcu-handler")
    sources = {"microspeech": MICROSPEECH, "sine": REPO / "examples" / "sine" / "Runefile.yml"}
    results = runec_many((src, out / f"{name}.rune", "wasm32-mcu", "rune", HANDLER)
                         for name, src in sources.items())
    return {name: r.check() for name, r in zip(sources, results, strict=True)}


def undefined_symbols(obj: Path) -> set[str]:
    out = firmware._run([firmware.NM, "-u", obj], "nm").stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def test_object_and_header_follow_the_abi(native, wasm_builds):
    fw = native["front-end"]
    _, mcu, _, _ = case_of(wasm_builds, "front-end-up")
    manifest = read_rune(mcu.read_bytes()).manifest
    header = fw.rune_object.with_suffix(".h").read_text()
    arena = manifest["memory"]["arena_bytes"]
    assert f"#define RUNE_ARENA_BYTES {arena}\n" in header
    assert "#define RUNE_CAPABILITY_AUDIO 0 /* RAW: i16[1, 16000] (32000 bytes) */" in header
    assert "#define RUNE_OUTPUT_SERIAL 0 /* serial: i8[1, 1960] (1960 bytes) */" in header
    assert "int32_t rune_run(void);" in header
    # The planned arena is a static buffer of exactly the manifest's size.
    symbols = firmware._run([firmware.NM, "-S", fw.rune_object], "nm").stdout
    sizes = {p[3]: int(p[1], 16) for p in (line.split() for line in symbols.splitlines())
             if len(p) == 4}
    assert sizes["rune.arena"] == arena
    assert sizes["rune_run"] > 0
    undefined = undefined_symbols(fw.rune_object)
    assert {"rune_capability_read", "rune_output_write"} <= undefined
    assert all(ALLOWED_UNDEFINED.match(name) for name in undefined), sorted(undefined)
    assert "__aeabi_unwind_cpp_pr1" not in undefined  # no unwinder dragged into firmware
    assert ".ARM.extab" not in firmware.section_sizes(fw.rune_object)


@pytest.mark.parametrize("word", WORDS)
def test_front_end_features_match_the_wasm_rune(native, wasm_builds, tmp_path, word):
    from rune.runtime.wasm3_host import Wasm3Rune

    samples = wav_samples(RUN_PASS / f"microspeech-{word}" / f"{word}.wav")
    (tmp_path / "audio.i16").write_bytes(samples.tobytes())
    result = firmware.run(native["front-end"], [tmp_path / "audio.i16"])
    assert result.status == 0, result.console
    (record,) = result.outputs()
    assert (record.index, record.slot, len(record.data)) == (0, 0, 1960)

    _, mcu, _, simd = case_of(wasm_builds, "front-end-up")
    on_wasm3 = Wasm3Rune.load(mcu).run({"audio": samples})[0].value
    on_wasmtime = Rune.load(simd).run({"audio": samples})[0].value
    native_features = np.frombuffer(record.data, np.int8)
    assert np.array_equal(native_features, np.asarray(on_wasm3).reshape(-1))
    assert np.array_equal(native_features, np.asarray(on_wasmtime).reshape(-1))
    assert len(set(native_features.tolist())) > 20  # real features, not a constant
    covered("Cortex-M4 on qemu == wasm (features byte for byte)", f"front end: {word}.wav")


def test_front_end_state_carries_across_runs(native, wasm_builds, tmp_path):
    """Four words through one firmware instance (noise-filtering keeps its estimate between
    runs) against four runs of one wasm3 instance."""
    from rune.runtime.wasm3_host import Wasm3Rune

    words = [wav_samples(RUN_PASS / f"microspeech-{w}" / f"{w}.wav") for w in WORDS]
    (tmp_path / "audio.i16").write_bytes(b"".join(w.tobytes() for w in words))
    result = firmware.run(native["front-end"], [tmp_path / "audio.i16"], runs=len(WORDS))
    assert result.status == 0, result.console
    _, mcu, _, _ = case_of(wasm_builds, "front-end-up")
    wasm = Wasm3Rune.load(mcu)
    fresh = Wasm3Rune.load(mcu).run({"audio": words[1]})[0].value
    for run, samples in enumerate(words):
        (record,) = result.outputs(run)
        expected = np.asarray(wasm.run({"audio": samples})[0].value).reshape(-1)
        assert np.array_equal(np.frombuffer(record.data, np.int8), expected), f"run {run}"
        if run == 1:  # the state matters: the second word differs from a fresh run
            assert not np.array_equal(expected, np.asarray(fresh).reshape(-1))
    covered("Cortex-M4 on qemu == wasm (features byte for byte)", "front end: 4 runs with state")


@pytest.mark.parametrize("word", WORDS)
def test_microspeech_with_canned_logits(native, handler_wasm, tmp_path, word):
    """SOUND -> fft -> noise-filtering -> model hook -> most_confident_indices -> label: the
    features handed to the model hook equal the wasm rune's, and canned logits become the
    word's label."""
    samples = wav_samples(RUN_PASS / f"microspeech-{word}" / f"{word}.wav")
    logits = np.full(6, -100, dtype=np.int8)
    logits[LABELS.index(word)] = 90
    (tmp_path / "audio.i16").write_bytes(samples.tobytes())
    (tmp_path / "logits.bin").write_bytes(logits.tobytes())
    fw = native["microspeech-handler"]
    result = firmware.run(fw, [tmp_path / "audio.i16"], [tmp_path / "logits.bin"])
    assert result.status == 0, result.console

    model = CannedModel([logits.tobytes()])
    mcu = handler_wasm["microspeech"]
    outputs = Rune.load(mcu, handlers=canned_handlers([model])).run({"audio": samples})
    (features,) = result.model_inputs()
    assert (features.index, features.slot, len(features.data)) == (0, 0, 1960)
    assert features.data == model.seen[0]

    (label,) = result.outputs()
    ptr, length = struct.unpack("<II", label.data)  # one utf8 element: (ptr, len)
    text = firmware.read_elf(fw.elf, ptr, length).decode("utf-8")
    assert text == word
    assert elements(outputs) == [[[word]]]
    covered("Cortex-M4 on qemu == wasm (model input byte for byte, canned logits)",
            f"microspeech-up rune on {word}.wav")


def test_sine_with_canned_model(native, handler_wasm, tmp_path):
    angle = (REPO / "examples" / "sine" / "input.bin").read_bytes()
    canned = np.float32(0.25).tobytes()
    (tmp_path / "canned.bin").write_bytes(canned)
    result = firmware.run(native["example-sine-handler"],
                          [REPO / "examples" / "sine" / "input.bin"], [tmp_path / "canned.bin"])
    assert result.status == 0, result.console
    model = CannedModel([canned])
    mcu = handler_wasm["sine"]
    outputs = Rune.load(mcu, handlers=canned_handlers([model])).run({"angle": angle})
    (model_input,) = result.model_inputs()
    expected = np.fmod(np.frombuffer(angle, "<f4"), np.float32(6.2831855))
    assert model_input.data == model.seen[0] == expected.tobytes()
    assert result.outputs()[0].data == canned
    assert elements(outputs) == [[[0.25]]]
    covered("Cortex-M4 on qemu == wasm (model input byte for byte, canned logits)",
            "examples/sine (modulo)")


@pytest.mark.parametrize("word", WORDS)
def test_microspeech_whole_pipeline_with_the_model_compiled_in(native, wasm_builds, tmp_path,
                                                                 word):
    """SOUND -> fft -> noise-filtering -> the model's int8 kernels -> label, all in one object:
    no model hook is linked or called, and the label is the word (as the wasm rune on wasm3)."""
    from rune.runtime.wasm3_host import Wasm3Rune

    fw = native["microspeech-up"]
    undefined = undefined_symbols(fw.rune_object)
    assert not {name for name in undefined if name.startswith("rune_model_")}, undefined
    samples = wav_samples(RUN_PASS / f"microspeech-{word}" / f"{word}.wav")
    (tmp_path / "audio.i16").write_bytes(samples.tobytes())
    result = firmware.run(fw, [tmp_path / "audio.i16"])
    assert result.status == 0, result.console
    assert result.model_inputs() == []
    (label,) = result.outputs()
    ptr, length = struct.unpack("<II", label.data)
    assert firmware.read_elf(fw.elf, ptr, length).decode("utf-8") == word
    _, mcu, _, _ = case_of(wasm_builds, f"microspeech-{word}")
    assert elements(Wasm3Rune.load(mcu).run({"audio": samples})) == [[[word]]]
    covered("Cortex-M4 on qemu: whole pipeline, model compiled in, right label",
            f"microspeech-up rune on {word}.wav")


def test_hook_failure_stops_the_run(native, tmp_path):
    """A capability hook that fails (no input file given) aborts rune_run with its status."""
    result = firmware.run(native["front-end"], [])
    assert result.status == 1
    assert "no input file for capability 0" in result.console
    assert result.outputs() == []


def test_instruction_counts_are_attributed(native, tmp_path):
    """The counting plugin works and attributes instructions: with no run, the rune and the
    library routines it uses execute nothing; one run executes millions."""
    fw = native["front-end"]
    (tmp_path / "audio.i16").write_bytes(
        wav_samples(RUN_PASS / "microspeech-up" / "up.wav").tobytes())
    idle = firmware.split_profile(fw, firmware.run(fw, [tmp_path / "audio.i16"], runs=0,
                                                   count=True).instructions)
    once = firmware.split_profile(fw, firmware.run(fw, [tmp_path / "audio.i16"], runs=1,
                                                   count=True).instructions)
    assert idle["rune"] == idle["library"] == 0 and idle["harness"] > 0
    assert once["rune"] > 1_000_000 and once["library"] > 0
