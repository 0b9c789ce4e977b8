"""WAV decoding and the SOUND capability's shaping: resample, mono-mix, pad or trim.

The original runtime took the first `hz * sample_duration_ms / 1000` samples of the file as i16,
whatever the file's rate, channels or length. Here a file that already has the rune's format
(mono, 16-bit integer PCM at `hz`) gives exactly those samples, bit for bit; anything else is
converted:

- decoding: 8-bit unsigned, 16/24/32-bit signed integer and 32/64-bit float PCM (format tags 1,
  3 and WAVE_FORMAT_EXTENSIBLE), as floats in [-1, 1): integers are divided by 2^(bits-1);
- channels are mixed to mono by their mean;
- the rate is changed by band-limited (windowed-sinc) interpolation, described at `resample`;
- the result is trimmed to the window, or padded at the end with silence (the original failed on
  a short file instead);
- i16 samples are `round(x * 32768)` (half to even), saturated to [-32768, 32767]; an f32
  tensor gets the floats themselves.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
_FORMAT_NAMES = {
    0x0002: "MS ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0055: "MP3",
}
#: Zero crossings of the interpolation filter on each side, at the lower of the two rates.
_ZERO_CROSSINGS = 16
#: Kaiser window shape: about -100 dB side lobes.
_KAISER_BETA = 10.0
#: Passband edge as a fraction of the lower Nyquist frequency.
_ROLLOFF = 0.95
_BLOCK = 8192
# Bounds checked from the header (and the rune's `hz`) before anything is decoded or resampled:
# resampling costs grow with the ratio of the rates, so both ends are bounded.
MAX_SAMPLE_RATE = 768_000
MAX_CHANNELS = 256
MAX_RESAMPLED = 1 << 28  # samples one resampling may produce


class WavError(ValueError):
    """The bytes are not a WAV file this module can decode; the message says why."""


@dataclass(frozen=True)
class Audio:
    """Decoded PCM: `samples` has one row per frame and one column per channel, in the file's
    own sample type (uint8, int16, int32 for 24- and 32-bit, float32 or float64)."""

    rate: int
    bits: int
    is_float: bool
    samples: np.ndarray

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    def describe(self) -> str:
        kind = "float" if self.is_float else "PCM"
        return f"{self.rate} Hz, {self.bits}-bit {kind}, {self.channels} channel(s)"

    def mono(self) -> np.ndarray:
        """Float64 samples in [-1, 1), channels averaged."""
        x = self.samples
        if self.is_float:
            data = x.astype(np.float64)
        elif self.bits == 8:
            data = (x.astype(np.float64) - 128.0) / 128.0
        else:
            data = x.astype(np.float64) / float(1 << (self.bits - 1))
        return data[:, 0] if self.channels == 1 else data.mean(axis=1)


def is_wav(data: bytes | bytearray | memoryview) -> bool:
    """True if the bytes start like a RIFF/WAVE file."""
    head = bytes(data[:12])
    return len(head) == 12 and head[:4] == b"RIFF" and head[8:] == b"WAVE"


def read_wav(data: bytes | bytearray | memoryview) -> Audio:
    """Decode a WAV file. A truncated `data` chunk keeps its whole frames (files written while
    recording often carry a wrong size); anything else malformed is a WavError."""
    view = memoryview(data).cast("B")
    if len(view) < 12 or bytes(view[:4]) != b"RIFF" or bytes(view[8:12]) != b"WAVE":
        if bytes(view[:4]) in (b"RIFX", b"RF64"):
            raise WavError(f"{bytes(view[:4]).decode()} WAV files are not supported")
        raise WavError("not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(view):
        chunk, size = bytes(view[pos : pos + 4]), struct.unpack_from("<I", view, pos + 4)[0]
        body = view[pos + 8 : pos + 8 + size]
        if len(body) < size and chunk != b"data":
            raise WavError(
                f"truncated file: the {chunk.decode('latin-1')!r} chunk runs past the end"
            )
        if chunk == b"fmt ":
            fmt = _read_fmt(body)
        elif chunk == b"data":
            if fmt is None:
                raise WavError("the data chunk comes before the fmt chunk")
            return _decode(fmt, body)
        pos += 8 + size + (size & 1)
    raise WavError("no fmt chunk" if fmt is None else "no data chunk")


def _read_fmt(body: memoryview) -> tuple[int, int, int, int, int]:
    if len(body) < 16:
        raise WavError(f"the fmt chunk is {len(body)} bytes, shorter than 16")
    tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _EXTENSIBLE:
        if len(body) < 26:
            raise WavError("WAVE_FORMAT_EXTENSIBLE fmt chunk is too short")
        tag = struct.unpack_from("<H", body, 24)[0]  # first two bytes of the sub-format GUID
    if tag not in (_PCM, _FLOAT):
        name = _FORMAT_NAMES.get(tag, "unknown")
        raise WavError(
            f"unsupported WAV encoding {name} (format tag 0x{tag:04x}); "
            "only integer and float PCM are supported"
        )
    if channels == 0 or rate == 0:
        raise WavError(f"invalid WAV header: {channels} channels at {rate} Hz")
    if channels > MAX_CHANNELS or rate > MAX_SAMPLE_RATE:
        raise WavError(f"WAV header claims {channels} channels at {rate} Hz; at most "
                       f"{MAX_CHANNELS} channels at {MAX_SAMPLE_RATE} Hz are accepted")
    supported = (32, 64) if tag == _FLOAT else (8, 16, 24, 32)
    if bits not in supported:
        kind = "float" if tag == _FLOAT else "integer"
        raise WavError(f"unsupported WAV sample size: {bits}-bit {kind} PCM")
    if align != channels * bits // 8:
        raise WavError(
            f"invalid WAV header: block align {align} for {channels} x {bits}-bit samples"
        )
    return tag, channels, rate, align, bits


def _decode(fmt: tuple[int, int, int, int, int], body: memoryview) -> Audio:
    tag, channels, rate, align, bits = fmt
    frames = len(body) // align
    raw = np.frombuffer(body[: frames * align], dtype=np.uint8)
    if tag == _FLOAT:
        samples = raw.view("<f4" if bits == 32 else "<f8").astype(
            np.float64 if bits == 64 else np.float32
        )
    elif bits == 8:
        samples = raw.copy()
    elif bits == 24:
        triples = raw.reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        samples = np.where(value >= 1 << 23, value - (1 << 24), value).astype(np.int32)
    else:
        samples = raw.view("<i2" if bits == 16 else "<i4").astype(
            np.int16 if bits == 16 else np.int32
        )
    return Audio(rate, bits, tag == _FLOAT, samples.reshape(frames, channels))


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited interpolation of float samples from `src_rate` to `dst_rate`.

    Output sample m sits at input position m * src / dst (exact rational arithmetic, so long
    recordings do not drift). Its value is the sum of the nearby inputs weighted by a sinc low-pass
    filter with its cut-off at 0.95 x the lower Nyquist frequency (anti-aliasing when
    downsampling, anti-imaging when upsampling), truncated to 16 zero crossings on each side by a
    Kaiser window (beta 10). Each phase's weights are normalised to sum to 1, so silence and
    constant offsets pass unchanged; samples beyond either end count as zero.
    """
    if src_rate == dst_rate:
        return x.astype(np.float64, copy=False)
    if not (0 < src_rate <= MAX_SAMPLE_RATE and 0 < dst_rate <= MAX_SAMPLE_RATE):
        raise WavError(f"cannot resample {src_rate} Hz to {dst_rate} Hz: rates run from 1 to "
                       f"{MAX_SAMPLE_RATE} Hz")
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    n_out = (len(x) * up) // down
    if n_out > MAX_RESAMPLED:
        raise WavError(f"resampling {len(x)} samples from {src_rate} Hz to {dst_rate} Hz gives "
                       f"{n_out}, more than {MAX_RESAMPLED}")
    cutoff = _ROLLOFF * min(1.0, dst_rate / src_rate)  # in units of the input's Nyquist
    half = math.ceil(_ZERO_CROSSINGS / cutoff)  # filter half-width, in input samples
    offsets = np.arange(-half + 1, half + 1)  # taps relative to floor(position)
    m = np.arange(n_out, dtype=np.int64)
    phase = (m * down) % up
    base = (m * down) // up
    used = np.unique(phase)  # at most `up` distinct filter phases
    dist = used[:, None] / up - offsets[None, :]  # position minus tap, per phase
    bank = cutoff * np.sinc(cutoff * dist) * _kaiser(dist / half)
    bank /= bank.sum(axis=1, keepdims=True)
    rows = np.searchsorted(used, phase)
    padded = np.concatenate([np.zeros(half), x.astype(np.float64, copy=False), np.zeros(half)])
    out = np.empty(n_out)
    for start in range(0, n_out, _BLOCK):
        stop = min(start + _BLOCK, n_out)
        index = base[start:stop, None] + offsets[None, :] + half
        out[start:stop] = np.einsum("ij,ij->i", padded[index], bank[rows[start:stop]])
    return out


def _kaiser(t: np.ndarray) -> np.ndarray:
    inside = np.abs(t) < 1.0
    arg = np.sqrt(np.clip(1.0 - t * t, 0.0, None))
    return np.where(inside, np.i0(_KAISER_BETA * arg) / np.i0(_KAISER_BETA), 0.0)


def to_dtype(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float samples as the tensor's element type (i16: rounded and saturated)."""
    if dtype.kind == "f":
        return x.astype(dtype)
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype(dtype)


def signal(audio: Audio, rate: int, dtype: np.dtype, count: int | None = None) -> np.ndarray:
    """The recording at `rate` in `dtype`, or only its first `count` samples. A mono 16-bit file
    already at `rate` gives its own samples untouched (the original's exact behaviour)."""
    if (
        audio.channels == 1
        and audio.rate == rate
        and audio.bits == 16
        and not audio.is_float
        and dtype == np.int16
    ):
        return audio.samples[:count, 0]
    mono = audio.mono()
    if count is not None:  # resample only what the first `count` outputs depend on
        need = (
            math.ceil(count * audio.rate / rate)
            + math.ceil(_ZERO_CROSSINGS / _ROLLOFF * max(1, audio.rate / rate))
            + 2
        )
        mono = mono[:need]
    return to_dtype(resample(mono, audio.rate, rate)[:count], dtype)


def fit(audio: Audio, rate: int, count: int, dtype: np.dtype) -> np.ndarray:
    """Exactly `count` samples at `rate`: the rune's SOUND input from one recording."""
    out = np.zeros(count, dtype=dtype)
    head = signal(audio, rate, dtype, count)
    out[: head.size] = head
    return out


def windows(
    audio: Audio, rate: int, count: int, hop: int, dtype: np.dtype
) -> Iterator[tuple[int, np.ndarray]]:
    """Slide a `count`-sample window over the whole recording in steps of `hop` samples (all at
    `rate`); yield (start sample, window). The last window is padded with silence; a recording
    shorter than one window gives one padded window."""
    whole = signal(audio, rate, dtype)
    start = 0
    while True:
        window = np.zeros(count, dtype=dtype)
        chunk = whole[start : start + count]
        window[: chunk.size] = chunk
        yield start, window
        if start + count >= whole.size:
            return
        start += hop
