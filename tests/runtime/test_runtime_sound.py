"""SOUND: WAV decoding, the original's exact behaviour, resampling, mixing, padding, streaming."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from media import sine, wav_bytes
from rune.runtime import sound
from rune.runtime.capabilities import default_registry
from rune.runtime.errors import CapabilityError
from rune.runtime.host import Rune
from rune.runtime.manifest import CapabilitySpec, TensorSpec
from runekit import PEER, echo_rune

UP = PEER / "integration-tests/run-pass/microspeech-up/up.wav"
ARGS = {"hz": 16000, "sample_duration_ms": 1000}
RNG = np.random.default_rng(0)


def sound_spec(etype: str = "i16", count: int = 16000, args: dict | None = None) -> CapabilitySpec:
    tensor = TensorSpec(id=0, element_type=etype, dimensions=(1, count))
    return CapabilitySpec(index=0, name="audio", kind="SOUND",
                          args=ARGS if args is None else args, outputs=(tensor,))  # fmt: skip


def feed(value: object, etype: str = "i16", count: int = 16000, args: dict | None = None):
    data = default_registry.read(sound_spec(etype, count, args), value, RNG)  # type: ignore[arg-type]
    return data.view("<i2" if etype == "i16" else "<f4")


def test_peer_wav_gives_its_own_first_samples_bit_for_bit() -> None:
    with wave.open(str(UP)) as w:
        expected = np.frombuffer(w.readframes(w.getnframes()), "<i2")[:16000]
    np.testing.assert_array_equal(feed(UP), expected)
    # The same through a rune: what the rune reads is exactly that.
    (out,) = Rune.load(echo_rune("SOUND", "i16", [1, 16000], ARGS)).run({"in0": UP})
    np.testing.assert_array_equal(out.value, expected.reshape(1, 16000))


def test_longer_file_is_trimmed_and_shorter_one_padded() -> None:
    samples = np.arange(-100, 100, dtype=np.int16)
    data = wav_bytes(samples, 16000)
    args = {"hz": 16000, "sample_duration_ms": 10}  # 160 samples
    assert feed(data, count=160, args=args).tolist() == samples[:160].tolist()
    padded = feed(wav_bytes(samples[:50], 16000), count=160, args=args)
    assert padded[:50].tolist() == samples[:50].tolist() and not padded[50:].any()


@pytest.mark.parametrize(
    ("bits", "floats", "stored", "expected"),
    [
        (8, False, [0, 128, 255, 64], [-32768, 0, 32512, -16384]),
        (16, False, [-32768, 0, 32767, 1234], [-32768, 0, 32767, 1234]),
        (24, False, [-(2**23), 384, 2**23 - 1, -640], [-32768, 2, 32767, -2]),
        (32, False, [-(2**31), 98304, 2**31 - 1, -163840], [-32768, 2, 32767, -2]),
        (32, True, [-1.0, 0.5, 0.99999, 2.0], [-32768, 16384, 32767, 32767]),
        (64, True, [-0.25, 0.0, 1e-5, -1.5], [-8192, 0, 0, -32768]),
    ],
)
def test_every_bit_depth_becomes_i16(bits: int, floats: bool, stored: list, expected: list) -> None:
    data = wav_bytes(np.array(stored), 16000, bits, floats=floats)
    args = {"hz": 16000, "sample_duration_ms": 1}  # 16 samples; the rest is padding
    assert feed(data, count=16, args=args)[:4].tolist() == expected


def test_wave_format_extensible_is_read() -> None:
    data = wav_bytes(np.array([1, -2, 3], dtype=np.int16), 16000, extensible=True)
    assert sound.read_wav(data).samples[:, 0].tolist() == [1, -2, 3]


def test_stereo_is_mixed_to_mono() -> None:
    left, right = np.full(64, 1000, np.int16), np.full(64, -3000, np.int16)
    data = wav_bytes(np.stack([left, right], axis=1), 16000)
    out = feed(data, count=16, args={"hz": 16000, "sample_duration_ms": 1})
    assert out.tolist() == [-1000] * 16


def test_resampled_sine_matches_the_ideal_one() -> None:
    for rate in (8000, 22050, 44100, 48000):
        data = wav_bytes(np.round(sine(440.0, rate, 1.2) * 32767), rate)
        out = feed(data).astype(np.float64) / 32768
        ideal = sine(440.0, 16000, 1.0) * 32767 / 32768
        # Away from the start (where the filter sees the signal's edge) it is the ideal sine.
        assert np.abs(out[64:] - ideal[64:]).max() < 2e-4, rate


def test_downsampling_removes_what_the_new_rate_cannot_hold() -> None:
    tone = wav_bytes(np.round(sine(11000.0, 44100, 1.0, 0.9) * 32767), 44100)
    out = feed(tone).astype(np.float64) / 32768
    assert np.sqrt(np.mean(out[64:-64] ** 2)) < 1e-3  # 11 kHz is above 8 kHz: gone (<-55 dB)


def test_f32_tensor_gets_floats() -> None:
    data = wav_bytes(np.array([16384, -32768], dtype=np.int16), 16000)
    out = feed(data, "f32", 16, {"hz": 16000, "sample_duration_ms": 1})
    assert out[:3].tolist() == [0.5, -1.0, 0.0]


def test_arrays_and_non_wav_bytes_are_the_tensor_itself() -> None:
    samples = np.arange(16, dtype=np.int16)
    args = {"hz": 16000, "sample_duration_ms": 1}
    assert feed(samples, count=16, args=args).tolist() == list(range(16))
    assert feed(samples.tobytes(), count=16, args=args).tolist() == list(range(16))


def test_arguments_checked_when_the_rune_loads() -> None:
    with pytest.raises(CapabilityError, match="hz=16000 and sample_duration_ms=500 make 8000"):
        default_registry.feeder(sound_spec(args={"hz": 16000, "sample_duration_ms": 500}), RNG)
    with pytest.raises(CapabilityError, match=r"tensor is u8\[1,16000\], but SOUND produces"):
        default_registry.feeder(sound_spec("u8"), RNG)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"ID3 not a wav at all", "not a WAV file (no RIFF/WAVE header)"),
        (wav_bytes(np.zeros(4), 16000)[:48], "no data chunk"),
        (wav_bytes(np.zeros(4), 16000)[:30], "truncated file: the 'fmt ' chunk runs past the end"),
        (
            wav_bytes(np.zeros(4, np.int16), 16000).replace(
                b"\x01\x00\x01\x00", b"\x11\x00\x01\x00", 1
            ),
            "unsupported WAV encoding IMA ADPCM (format tag 0x0011)",
        ),
    ],
)
def test_bad_files_name_the_capability_and_the_file(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(data)
    with pytest.raises(CapabilityError) as info:
        feed(path)
    assert str(info.value).startswith(
        f'Unable to load the "SOUND" input for stage "audio" from {path}: {reason}'
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        CapabilityError, match=r'"SOUND" input for stage "audio" from .*nope\.wav: No such'
    ):
        feed(tmp_path / "nope.wav")


def test_stream_slides_the_window_and_emits_one_result_per_hop(tmp_path: Path) -> None:
    rate, window = 16000, 160  # 10 ms windows
    samples = np.arange(400, dtype=np.int16)  # 25 ms
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(samples, rate))
    rune = Rune.load(echo_rune("SOUND", "i16", [1, window], {"hz": rate, "sample_duration_ms": 10}))
    results = list(rune.stream(path, hop_ms=5))
    assert [r.start_ms for r in results] == [0.0, 5.0, 10.0, 15.0]
    for r in results:
        start = round(r.start_ms * rate / 1000)
        expected = np.zeros(window, np.int16)
        chunk = samples[start : start + window]
        expected[: chunk.size] = chunk
        np.testing.assert_array_equal(r.outputs["out0"].value.reshape(-1), expected)


def test_stream_resamples_the_whole_recording_once(tmp_path: Path) -> None:
    data = wav_bytes(np.round(sine(300.0, 48000, 0.05) * 32767), 48000)
    rune = Rune.load(echo_rune("SOUND", "i16", [1, 160], {"hz": 16000, "sample_duration_ms": 10}))
    windows = [r.outputs[0].value.reshape(-1) for r in rune.stream(data, hop_ms=10)]
    joined = np.concatenate(windows)[:800].astype(np.float64) / 32768
    assert np.abs(joined[64:-64] - sine(300.0, 16000, 0.05)[64:-64] * 32767 / 32768).max() < 2e-4


def test_stream_needs_one_sound_capability() -> None:
    rune = Rune.load(echo_rune("RAW", "i16", [1, 4]))
    with pytest.raises(CapabilityError, match="streaming needs exactly one SOUND capability"):
        list(rune.stream(b"", hop_ms=5))
