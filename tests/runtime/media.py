"""Small media fixtures made in the tests: WAV files of any format, PNG/JPEG images, CSVs."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image


def wav_bytes(
    samples: np.ndarray,
    rate: int,
    bits: int = 16,
    *,
    floats: bool = False,
    extensible: bool = False,
) -> bytes:
    """A WAV file of `samples` (frames, or frames x channels) stored exactly as given: ints are
    written as `bits`-bit PCM (8-bit unsigned), floats as 32/64-bit IEEE float."""
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, None]
    channels = data.shape[1]
    if floats:
        payload = data.astype("<f4" if bits == 32 else "<f8").tobytes()
        tag = 3
    elif bits == 24:
        values = data.astype("<i4").reshape(-1)
        payload = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in values)
        tag = 1
    else:
        dtype = {8: "u1", 16: "<i2", 32: "<i4"}[bits]
        payload = data.astype(dtype).tobytes()
        tag = 1
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * align,
                      align, bits)  # fmt: skip
    if extensible:
        guid = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, bits, 0) + guid
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # an odd-sized chunk to skip
    chunks += b"data" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def sine(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def image_bytes(pixels: np.ndarray, fmt: str = "PNG", mode: str | None = None) -> bytes:
    """An image file of an (h, w), (h, w, 3) or (h, w, 4) uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buffer, format=fmt, quality=95)
    return buffer.getvalue()


def gradient(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A smooth image with some noise, so resizing has something to do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)),
                     ((x + y) * 127 // max(width + height - 2, 1))], axis=-1)  # fmt: skip
    noisy = base + rng.integers(-20, 21, size=base.shape)
    pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    if channels == 4:
        alpha = rng.integers(0, 256, size=(height, width, 1), dtype=np.uint8)
        return np.concatenate([pixels, alpha], axis=-1)
    return pixels
