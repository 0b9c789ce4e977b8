"""Image decoding and the IMAGE / FLOAT_IMAGE capabilities' shaping, as the original did it.

The original decoded with the Rust `image` crate 0.23, resized with `resize_exact(width, height,
CatmullRom)` and converted to the pixel format. `resize_exact` here reproduces that crate's
arithmetic step for step, so a PNG gives the original's bytes exactly:

- a vertical pass first, then a horizontal one, each over every channel independently;
- for output pixel o of n from a source of s: ratio = s / n and sratio = max(ratio, 1) in f32,
  centre c = (o + 0.5) * ratio, taps from floor(c - 2 * sratio) to ceil(c + 2 * sratio) clamped
  to the image, weights k((i - (c - 0.5)) / sratio) with the Catmull-Rom cubic k (B=0, C=0.5);
- in f32: the weighted sum tap by tap, divided by the sum of the weights, clamped to [0, 255]
  and rounded half away from zero to u8 between the passes.

Pixel formats: RGB8 (the default), BGR8 and GrayScale = trunc(0.2126 R + 0.7152 G + 0.0722 B)
in f32, alpha ignored; a grayscale file stays as it is for GrayScale and is repeated into three
channels for RGB8/BGR8. 16-bit grayscale files are resized in 16 bits and then keep their high
byte, as the original did; other 16-bit files are reduced to 8 bits by the decoder first.
FLOAT_IMAGE gives the same pixels as f32 in [0, 1] (value / 255).

The tensor's bytes are rows of `width` pixels, `height` rows, channels interleaved.
"""

from __future__ import annotations

import io

import numpy as np

#: Canonical name -> channels.
PIXEL_FORMATS = {"RGB8": 3, "BGR8": 3, "GrayScale": 1}
_BY_NUMBER = {0: "RGB8", 1: "BGR8", 2: "GrayScale"}  # the original's enum values
_SPELLINGS = {
    "rgb": "RGB8",
    "rgb8": "RGB8",
    "bgr": "BGR8",
    "bgr8": "BGR8",
    "grayscale": "GrayScale",
    "greyscale": "GrayScale",
    "gray": "GrayScale",
    "grey": "GrayScale",
    "luma": "GrayScale",
    "l": "GrayScale",
}
_LUMA = (np.float32(0.2126), np.float32(0.7152), np.float32(0.0722))
_SUPPORT = np.float32(2.0)


MAX_PIXELS = 1 << 25  # 32 Mpx (8K x 4K), checked from the header before decoding


class ImageError(ValueError):
    """The bytes are not an image this module can decode; the message says why."""


def parse_pixel_format(value: object) -> str:
    """A canonical pixel-format name from any spelling the original or a user might write:
    `@PixelFormat::GrayScale`, `PixelFormat::RGB`, `RGB8`, `bgr`, 0/1/2 (also as strings).
    Raises ValueError with the accepted spellings."""
    if isinstance(value, int) and not isinstance(value, bool) and value in _BY_NUMBER:
        return _BY_NUMBER[value]
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and int(text) in _BY_NUMBER:
            return _BY_NUMBER[int(text)]
        name = text.lstrip("@").removeprefix("PixelFormat::").lower()
        if name in _SPELLINGS:
            return _SPELLINGS[name]
    raise ValueError(
        f"unknown pixel format {value!r} (expected RGB8, BGR8 or GrayScale, also written "
        "@PixelFormat::RGB, @PixelFormat::BGR, @PixelFormat::GrayScale or 0, 1, 2)"
    )


def is_image(data: bytes | bytearray | memoryview) -> bool:
    """True if the bytes start with a PNG, JPEG, GIF or BMP signature."""
    head = bytes(data[:8])
    return head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM"))


def decode(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Decode to an (height, width, 1 or 3) array: uint8, or uint16 for 16-bit grayscale."""
    import warnings

    from PIL import Image  # imported on first use: runes without images never load Pillow

    try:
        with warnings.catch_warnings():  # Pillow's multi-line bomb warning: an error instead
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(bytes(data)))
        with img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"the image is {width} x {height} pixels; at most {MAX_PIXELS} "
                                 "are decoded")
            img.load()
            mode = img.mode
            if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
                return np.asarray(img, dtype=np.uint16)[:, :, None].copy()
            if mode in ("L", "LA", "1", "I", "F"):
                gray = img.convert("L") if mode != "L" else img
                return np.asarray(gray, dtype=np.uint8)[:, :, None].copy()
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    except ImageError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            SyntaxError) as exc:
        raise ImageError(f"not an image this runtime can decode ({exc})") from None


def _kernel(x: np.ndarray) -> np.ndarray:
    """Catmull-Rom (B=0, C=0.5) in f32, operation for operation as the Rust crate computes it."""
    a = np.abs(x)
    a2 = a * a
    a3 = a * a2
    near = (np.float32(9.0) * a3 + np.float32(-15.0) * a2) + np.float32(6.0)
    far = ((np.float32(-3.0) * a3 + np.float32(15.0) * a2) + np.float32(-24.0) * a) + np.float32(
        12.0
    )
    k = np.where(a < 1, near, np.where(a < 2, far, np.float32(0.0)))
    return (k / np.float32(6.0)).astype(np.float32)


def _weights(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output position: source indices (dst, taps), f32 weights (0 beyond a position's
    own taps) and the f32 sum of its weights, accumulated tap by tap."""
    ratio = np.float32(src) / np.float32(dst)
    sratio = max(ratio, np.float32(1.0))
    support = _SUPPORT * sratio
    centre = (np.arange(dst, dtype=np.float32) + np.float32(0.5)) * ratio
    left = np.clip(np.floor(centre - support).astype(np.int64), 0, src - 1)
    right = np.clip(np.ceil(centre + support).astype(np.int64), left + 1, src)
    taps = int((right - left).max())
    index = left[:, None] + np.arange(taps)[None, :]
    valid = index < right[:, None]
    x = (index.astype(np.float32) - (centre - np.float32(0.5))[:, None]) / sratio
    w = np.where(valid, _kernel(x), np.float32(0.0)).astype(np.float32)
    total = np.zeros(dst, dtype=np.float32)
    for j in range(taps):
        total = total + w[:, j]
    return np.minimum(index, src - 1), w, total


def _pass(pixels: np.ndarray, dst: int, axis: int, top: float) -> np.ndarray:
    """Resample `pixels` along `axis` (0: rows, vertical; 1: columns, horizontal) to `dst`."""
    index, w, total = _weights(pixels.shape[axis], dst)
    src = pixels.astype(np.float32)
    shape = (-1, 1, 1) if axis == 0 else (1, -1, 1)
    acc = np.zeros(
        (dst, src.shape[1], src.shape[2]) if axis == 0 else (src.shape[0], dst, src.shape[2]),
        dtype=np.float32,
    )
    for j in range(w.shape[1]):
        acc = acc + np.take(src, index[:, j], axis=axis) * w[:, j].reshape(shape)
    t = np.clip(acc / total.reshape(shape), np.float32(0.0), np.float32(top))
    whole = np.floor(t)
    rounded = whole + (t - whole >= np.float32(0.5))  # half away from zero (t >= 0)
    return rounded.astype(pixels.dtype)


def resize_exact(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """The original's `resize_exact(width, height, CatmullRom)` on an (h, w, c) array."""
    if pixels.shape[:2] == (height, width):
        return pixels
    top = float(np.iinfo(pixels.dtype).max)
    return _pass(_pass(pixels, height, 0, top), width, 1, top)


def convert(pixels: np.ndarray, pixel_format: str) -> np.ndarray:
    """An (h, w, c) uint8/uint16 array in the given pixel format, as uint8."""
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    channels = pixels.shape[2]
    if pixel_format == "GrayScale":
        if channels == 1:
            return pixels
        rgb = pixels.astype(np.float32)
        luma = (_LUMA[0] * rgb[..., 0] + _LUMA[1] * rgb[..., 1]) + _LUMA[2] * rgb[..., 2]
        return luma.astype(np.uint8)[:, :, None]  # f32 -> u8 truncates, as NumCast does
    rgb = np.repeat(pixels, 3, axis=2) if channels == 1 else pixels
    return rgb[:, :, ::-1].copy() if pixel_format == "BGR8" else rgb
