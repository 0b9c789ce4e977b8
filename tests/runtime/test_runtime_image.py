"""IMAGE and FLOAT_IMAGE: decoding, the original's Catmull-Rom resize_exact, pixel formats."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from media import gradient, image_bytes
from PIL import Image
from rune.runtime import image
from rune.runtime.capabilities import assign_sources, default_registry
from rune.runtime.errors import CapabilityError
from rune.runtime.host import Rune
from rune.runtime.manifest import CapabilitySpec, TensorSpec
from runekit import PEER, echo_rune

PERSON = PEER / "examples/person_detection/image.png"
RNG = np.random.default_rng(0)
F32 = np.float32


def reference_pass(pixels: np.ndarray, new: int, axis: int) -> np.ndarray:
    """image 0.23's vertical_sample/horizontal_sample written out literally, one pixel at a
    time, in f32: the independent reference for the vectorised implementation."""
    src = pixels if axis == 0 else pixels.transpose(1, 0, 2)
    old = src.shape[0]
    ratio = F32(old) / F32(new)
    sratio = ratio if ratio >= F32(1) else F32(1)
    support = F32(2.0) * sratio
    out = np.zeros((new, src.shape[1], src.shape[2]), np.uint8)
    for o in range(new):
        centre = (F32(o) + F32(0.5)) * ratio
        left = min(max(int(np.floor(centre - support)), 0), old - 1)
        right = min(max(int(np.ceil(centre + support)), left + 1), old)
        centre = centre - F32(0.5)
        weights, total = [], F32(0)
        for i in range(left, right):
            a = abs((F32(i) - centre) / sratio)
            if a < 1:
                k = (F32(9) * (a * (a * a)) + F32(-15) * (a * a)) + F32(6)
            elif a < 2:
                k = ((F32(-3) * (a * (a * a)) + F32(15) * (a * a)) + F32(-24) * a) + F32(12)
            else:
                k = F32(0)
            w = F32(k / F32(6))
            weights.append(w)
            total = F32(total + w)
        for x in range(src.shape[1]):
            for c in range(src.shape[2]):
                t = F32(0)
                for j, w in enumerate(weights):
                    t = F32(t + F32(src[left + j, x, c]) * w)
                t = min(max(F32(t / total), F32(0)), F32(255))
                out[o, x, c] = math.floor(float(t) + 0.5)  # exact in f64: half up
    return out if axis == 0 else out.transpose(1, 0, 2)


@pytest.mark.parametrize(
    ("src", "dst"), [((7, 5), (3, 4)), ((5, 7), (11, 9)), ((9, 9), (4, 13)), ((3, 16), (16, 3))]
)
def test_resize_matches_the_literal_algorithm(src: tuple[int, int], dst: tuple[int, int]) -> None:
    pixels = gradient(*src, seed=sum(src))
    expected = reference_pass(reference_pass(pixels, dst[0], 0), dst[1], 1)
    np.testing.assert_array_equal(image.resize_exact(pixels, dst[1], dst[0]), expected)


def test_resize_is_close_to_pillows_bicubic() -> None:
    pixels = gradient(120, 90)
    ours = image.resize_exact(pixels, 40, 50).astype(int)
    theirs = np.asarray(Image.fromarray(pixels).resize((40, 50), Image.Resampling.BICUBIC))
    assert np.abs(ours - theirs.astype(int)).max() <= 2  # same filter, other arithmetic


def test_same_size_is_an_exact_copy() -> None:
    pixels = gradient(6, 8)
    assert image.resize_exact(pixels, 8, 6) is pixels
    np.testing.assert_array_equal(image.resize_exact(pixels, 8, 6), reference_pass(pixels, 6, 0))


def image_spec(kind: str = "IMAGE", w: int = 4, h: int = 3, c: int = 3, args: dict | None = None):
    etype = "f32" if kind == "FLOAT_IMAGE" else "u8"
    base = {"width": w, "height": h}
    tensor = TensorSpec(id=0, element_type=etype, dimensions=(1, w, h, c))
    return CapabilitySpec(index=0, name="img", kind=kind, args={**base, **(args or {})},
                          outputs=(tensor,))  # fmt: skip


def feed(value: object, **kw: object) -> np.ndarray:
    s = image_spec(**kw)  # type: ignore[arg-type]
    return default_registry.read(s, value, RNG).view(s.tensor.dtype)  # type: ignore[arg-type]


def luma(pixels: np.ndarray) -> np.ndarray:
    """trunc(0.2126 R + 0.7152 G + 0.0722 B) in f32 (SEMANTICS.md)."""
    p = pixels.astype(np.float32)
    return ((F32(0.2126) * p[..., 0] + F32(0.7152) * p[..., 1]) + F32(0.0722) * p[..., 2]).astype(
        np.uint8
    )


def test_person_detection_png_in_grayscale_is_trunc_luma_of_each_pixel() -> None:
    expected = luma(np.asarray(Image.open(PERSON)))
    args = {"pixel-format": "@PixelFormat::GrayScale", "width": 96, "height": 96}
    rune = Rune.load(echo_rune("IMAGE", "u8", [1, 96, 96, 1], args))
    (out,) = rune.run({"in0": PERSON})
    np.testing.assert_array_equal(out.value.reshape(96, 96), expected)


@pytest.mark.parametrize(
    "spelling",
    ["@PixelFormat::GrayScale", "PixelFormat::GrayScale", "GrayScale", "grayscale", 2, "2", "gray"],
)
def test_grayscale_spellings(spelling: object) -> None:
    assert image.parse_pixel_format(spelling) == "GrayScale"


@pytest.mark.parametrize(
    ("spelling", "name"),
    [("@PixelFormat::RGB", "RGB8"), ("RGB8", "RGB8"), (0, "RGB8"), ("bgr", "BGR8"), (1, "BGR8"),
     ("@PixelFormat::BGR", "BGR8")],
)  # fmt: skip
def test_colour_spellings(spelling: object, name: str) -> None:
    assert image.parse_pixel_format(spelling) == name


def test_rgb_bgr_and_gray_of_one_file() -> None:
    pixels = gradient(3, 4)
    data = image_bytes(pixels)
    rgb = feed(data).reshape(3, 4, 3)
    np.testing.assert_array_equal(rgb, pixels)
    bgr = feed(data, args={"pixel-format": "BGR8"}).reshape(3, 4, 3)
    np.testing.assert_array_equal(bgr, pixels[..., ::-1])
    gray = feed(data, c=1, args={"pixel-format": 2}).reshape(3, 4)
    np.testing.assert_array_equal(gray, luma(pixels))


def test_grayscale_file_stays_itself_and_repeats_for_rgb() -> None:
    gray = gradient(3, 4)[..., 0]
    data = image_bytes(gray, mode="L")
    np.testing.assert_array_equal(feed(data, c=1, args={"pixel-format": "GrayScale"}),
                                  gray.reshape(-1))  # fmt: skip
    np.testing.assert_array_equal(feed(data).reshape(3, 4, 3), np.repeat(gray[..., None], 3, 2))


def test_alpha_is_ignored() -> None:
    rgba = gradient(3, 4, channels=4)
    np.testing.assert_array_equal(feed(image_bytes(rgba)).reshape(3, 4, 3), rgba[..., :3])


def test_float_image_is_u8_over_255() -> None:
    pixels = gradient(3, 4)
    out = feed(image_bytes(pixels), kind="FLOAT_IMAGE")
    np.testing.assert_array_equal(out, pixels.reshape(-1).astype(np.float32) / F32(255))


def test_jpeg_is_decoded_and_resized(tmp_path: Path) -> None:
    content = PEER / "integration-tests/run-pass/_style-transfer/0_content.jpg"
    out = feed(content, w=64, h=48).reshape(48, 64, 3)
    with Image.open(content) as img:
        theirs = np.asarray(img.convert("RGB").resize((64, 48), Image.Resampling.BICUBIC))
    assert np.abs(out.astype(int) - theirs.astype(int)).mean() < 2.0


def test_two_images_by_source(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(image_bytes(np.full((2, 2, 3), 10, np.uint8)))
    b.write_bytes(image_bytes(np.full((2, 2, 3), 200, np.uint8)))
    args = [{"source": 1, "width": 2, "height": 2}, {"source": 0, "width": 2, "height": 2}]
    rune = Rune.load(echo_rune("IMAGE", "u8", [1, 2, 2, 3], args))
    outs = rune.run(assign_sources(rune.manifest, {"image": [a, b]}))
    assert outs["out0"].value.max() == 200 and outs["out1"].value.max() == 10


def test_arguments_checked_when_the_rune_loads() -> None:
    with pytest.raises(CapabilityError, match="unknown pixel format 'CMYK'"):
        default_registry.feeder(image_spec(args={"pixel-format": "CMYK"}), RNG)
    with pytest.raises(CapabilityError, match=r"4x3 GrayScale pixels are 12 values but its tensor"):
        default_registry.feeder(image_spec(args={"pixel-format": "GrayScale"}), RNG)
    tensor = TensorSpec(id=0, element_type="f32", dimensions=(1, 2, 2, 3))
    spec = CapabilitySpec(index=0, name="img", kind="IMAGE", outputs=(tensor,))
    with pytest.raises(CapabilityError, match=r"tensor is f32\[1,2,2,3\], but IMAGE produces u8"):
        default_registry.feeder(spec, RNG)


def test_unreadable_image_names_capability_and_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n but then nothing")
    with pytest.raises(CapabilityError) as info:
        feed(path)
    assert str(info.value).startswith(
        f'Unable to load the "IMAGE" input for stage "img" from {path}: not an image'
    )


def test_sixteen_bit_grayscale_keeps_its_high_byte() -> None:
    values = np.array([[0, 255, 256, 65535], [4660, 513, 1000, 40000]], dtype=np.uint16)
    img = Image.fromarray(values)
    assert img.mode == "I;16"
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    out = feed(buffer.getvalue(), w=4, h=2, c=1, args={"pixel-format": "GrayScale"})
    assert out.reshape(2, 4).tolist() == (values >> 8).tolist()
