"""A fast path for the PNGs that road cameras write: 8-bit RGB(A), every row "None" or "Sub".

Decoding a toll-gate PNG frame (650×580) through OpenCV/libpng costs ~4.6-4.9 ms on one core,
most of it inflating with the system zlib. Frames whose rows use only the None and Sub filters
(the camera software behind the dev set's frames writes Sub on every row) are decoded here
instead: the image data is inflated with libdeflate (the `deflate` wheel: 1.45 ms instead of
zlib's 3.3 ms on those frames; ISA-L took 2.2, zlib-ng 2.0), and the Sub filter (each byte
plus the byte one pixel to its left, modulo 256) is undone with `cv2.integral`, 64 rows at a
time: the differences between consecutive rows of the 2-D running sum are the rows' own
running sums, and bands keep the int32 sums small enough to stay in the cache (one
image-sized int32 buffer cost more in page faults than the sums themselves). The result is
the same pixels, in BGR: the dev set's 114 frames in a median 2.8 ms against OpenCV's 4.9 ms
(same run, one core).

Anything else — palette, grey, 16-bit, interlaced, the Up/Average/Paeth filters, a damaged
stream, rows too wide for 32-bit running sums — returns `None` and the caller decodes it
with OpenCV as before. A unit test compares this path with OpenCV on encoded images.
"""

from __future__ import annotations

import struct
from typing import Final

import cv2
import deflate
import numpy as np
import numpy.typing as npt

SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_CHANNELS: Final = {2: 3, 6: 4}
"""PNG colour type → channels: truecolour and truecolour with alpha."""
_TO_BGR: Final = {3: cv2.COLOR_RGB2BGR, 4: cv2.COLOR_RGBA2BGR}
_BAND: Final = 64
"""Rows unfiltered per `cv2.integral` call."""
_MAX_WIDTH: Final = (2**31 - 1) // (255 * _BAND)
"""The running sums of one band must fit in int32 (`cv2.integral` also sums down the rows)."""
_NONE, _SUB = 0, 1


def decode_png(data: bytes) -> npt.NDArray[np.uint8] | None:
    """The PNG's pixels as an H×W×3 BGR array, or `None` where the fast path does not apply."""
    try:
        return _decode(data)
    except (struct.error, deflate.DeflateError, ValueError):
        return None


def _decode(data: bytes) -> npt.NDArray[np.uint8] | None:
    if not data.startswith(SIGNATURE):
        return None
    header = _chunks(data)
    if header is None:
        return None
    width, height, channels, compressed = header
    if width > _MAX_WIDTH:
        return None
    stride = width * channels + 1
    # libdeflate is given the expected size (it fails on more) and checks the Adler-32
    raw = deflate.zlib_decompress(compressed, stride * height)
    if len(raw) != stride * height:
        return None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride)
    filters = rows[:, 0]
    pixels = rows[:, 1:].reshape(height, width, channels)
    if not np.isin(filters, (_NONE, _SUB)).all():
        return None
    # Sub: a row's bytes are the running sums (mod 256) of its filtered bytes, per channel
    rgb = np.empty((height, width, channels), dtype=np.uint8)
    for top in range(0, height, _BAND):
        sums = cv2.integral(np.ascontiguousarray(pixels[top : top + _BAND]))
        rgb[top : top + _BAND] = cv2.subtract(sums[1:, 1:], sums[:-1, 1:])  # wraps mod 256
    plain = filters == _NONE  # None rows are stored as they are
    rgb[plain] = pixels[plain]
    return np.asarray(cv2.cvtColor(rgb, _TO_BGR[channels]), dtype=np.uint8)


def _chunks(data: bytes) -> tuple[int, int, int, bytes] | None:
    """Width, height, channels and the concatenated image data, if the header suits us."""
    offset = len(SIGNATURE)
    width = height = channels = 0
    parts: list[bytes] = []
    while offset + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        body = offset + 8
        if body + length + 4 > len(data):
            return None
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack_from(
                ">IIBBBBB", data, body
            )
            if depth != 8 or colour not in _CHANNELS or interlace != 0 or not width or not height:
                return None
            channels = _CHANNELS[colour]
        elif kind == b"IDAT":
            parts.append(data[body : body + length])
        elif kind == b"IEND":
            break
        offset = body + length + 4  # data, then the CRC
    if not channels or not parts:
        return None
    return width, height, channels, b"".join(parts)
