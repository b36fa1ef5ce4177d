"""The PNG fast path gives exactly OpenCV's pixels, or steps aside.

PNGs are encoded here with chosen row filters (the test's own small encoder), so that the
None/Sub rows road cameras write, mixed rows, several IDAT chunks and alpha are all covered, and
the filters the fast path leaves to OpenCV (Up, Average, Paeth) provably fall back.
"""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from smartduty.kernel.errors import ValidationFailed
from smartduty.recognition.engine import images
from smartduty.recognition.engine.images import decode_photo
from smartduty.recognition.engine.png import decode_png

NONE, SUB, UP, AVERAGE, PAETH = range(5)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode(
    pixels: npt.NDArray[np.uint8],
    filters: list[int],
    *,
    idat_parts: int = 1,
    interlace: int = 0,
) -> bytes:
    """An 8-bit RGB or RGBA PNG of `pixels` (RGB order), row `y` filtered with `filters[y]`."""
    height, width, channels = pixels.shape
    colour = {3: 2, 4: 6}[channels]
    rows = []
    previous = np.zeros(width * channels, dtype=np.int32)
    for y in range(height):
        row = pixels[y].reshape(-1).astype(np.int32)
        left = np.concatenate([np.zeros(channels, dtype=np.int32), row[:-channels]])
        kind = filters[y]
        if kind == NONE:
            out = row
        elif kind == SUB:
            out = row - left
        elif kind == UP:
            out = row - previous
        elif kind == AVERAGE:
            out = row - (left + previous) // 2
        else:
            raise AssertionError("the test encoder writes None, Sub, Up or Average rows")
        rows.append(bytes([kind]) + (out % 256).astype(np.uint8).tobytes())
        previous = row
    data = zlib.compress(b"".join(rows), 6)
    step = -(-len(data) // idat_parts)
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, interlace)
    parts = [data[i : i + step] for i in range(0, len(data), step)]
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + b"".join(_chunk(b"IDAT", p) for p in parts)
        + _chunk(b"IEND", b"")
    )


def opencv(data: bytes) -> npt.NDArray[np.uint8]:
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    return np.asarray(decoded, dtype=np.uint8)


def photo(height: int, width: int, channels: int = 3, seed: int = 1) -> npt.NDArray[np.uint8]:
    """Smooth gradients plus noise: large running sums, and every byte value somewhere."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([(xx * 3 + yy) % 256, (yy * 2) % 256, (xx + yy * 5) % 256, xx % 256], -1)
    noise = rng.integers(0, 40, size=(height, width, 4))
    return ((base + noise) % 256).astype(np.uint8)[:, :, :channels]


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize(
    "filters", ["sub", "none", "mixed"], ids=["every row Sub", "every row None", "None and Sub"]
)
def test_fast_path_pixels_equal_opencv(channels: int, filters: str) -> None:
    height, width = 150, 97  # more rows than one band, an odd width
    rows = {
        "sub": [SUB] * height,
        "none": [NONE] * height,
        "mixed": [SUB if y % 3 else NONE for y in range(height)],
    }[filters]
    data = encode(photo(height, width, channels), rows, idat_parts=3)
    fast = decode_png(data)
    assert fast is not None
    assert fast.shape == (height, width, 3)
    assert fast.dtype == np.uint8
    assert np.array_equal(fast, opencv(data))


def test_a_wide_toll_gate_frame_with_large_running_sums() -> None:
    # 650×580 like the road cameras' frames: the running sums reach 255 × 650 × 64 per band
    pixels = np.full((580, 650, 3), 255, dtype=np.uint8)
    pixels[::7] = photo(580, 650)[::7]
    data = encode(pixels, [SUB] * 580)
    fast = decode_png(data)
    assert fast is not None
    assert np.array_equal(fast, opencv(data))


@pytest.mark.parametrize("kind", [UP, AVERAGE])
def test_other_filters_are_left_to_opencv(kind: int) -> None:
    pixels = photo(20, 30)
    data = encode(pixels, [SUB] * 10 + [kind] * 10)
    assert decode_png(data) is None
    decoded = decode_photo(data)
    assert np.array_equal(decoded.image, pixels[:, :, ::-1])  # OpenCV decoded it instead


def test_formats_it_does_not_handle_are_left_to_opencv() -> None:
    rgb = photo(16, 24)
    assert decode_png(encode(rgb, [SUB] * 16, interlace=1)) is None  # Adam7
    for mode in ("P", "L", "I;16"):
        buffer = io.BytesIO()
        Image.fromarray(rgb).convert(mode).save(buffer, "PNG")
        assert decode_png(buffer.getvalue()) is None, mode
    assert decode_png(b"GIF89a") is None


def test_damaged_streams_fall_back_and_then_fail_clearly() -> None:
    data = bytearray(encode(photo(40, 40), [SUB] * 40))
    idat = data.index(b"IDAT")
    data[idat + 30] ^= 0xFF  # a flipped byte in the compressed pixels: Adler-32 or inflate fails
    assert decode_png(bytes(data)) is None
    truncated = bytes(data[: idat + 40])
    assert decode_png(truncated) is None
    with pytest.raises(ValidationFailed):
        decode_photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)


def test_decode_photo_takes_the_fast_path_for_a_sub_filtered_png(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pixels = photo(64, 80)
    data = encode(pixels, [SUB] * 64)

    def not_opencv(*args: object) -> None:
        raise AssertionError("OpenCV was asked to decode a PNG the fast path handles")

    monkeypatch.setattr(images.cv2, "imdecode", not_opencv)
    decoded = decode_photo(data)
    assert decoded.size == (80, 64)
    assert np.array_equal(decoded.image, pixels[:, :, ::-1])
