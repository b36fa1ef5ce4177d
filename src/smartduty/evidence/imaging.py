"""Reading uploaded images safely: the upload limits, format sniffing, full decoding and EXIF.

The one place of the upload limits: `read_limited` (bytes) and `_open_header` (pixels, from
the header, before anything is decoded) raise the only "too large" errors a photo gets, for
evidence and the plate reader alike (`evidence.services.check_upload` applies the configured
numbers). Pure Pillow code without models or storage, so that services stay short and this
stays testable on bytes alone. Errors leave as domain errors with Chinese messages.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any, Final
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, UnidentifiedImageError

from smartduty.kernel.errors import PayloadTooLarge, ValidationFailed

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
"""EXIF times without an offset are read as Beijing time, as phones sold here write them."""

UNSUPPORTED_FORMAT: Final = "不支持的文件格式，请上传 JPEG、PNG、WebP 或 HEIC 照片"
CORRUPT_IMAGE: Final = "照片文件已损坏，无法解码"

_HEIC_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
)
_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})
_DECODE_ERRORS: Final = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_MB: Final = 1024 * 1024


@dataclass(frozen=True)
class SniffedFormat:
    """The real format of an upload, read from its first bytes."""

    pil_format: str
    """Pillow's format id, used to restrict decoding to this one plugin."""
    mime_type: str
    extension: str


@dataclass(frozen=True)
class CaptureFacts:
    """When and where the camera says the photo was taken (EXIF); any part may be missing."""

    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


def configure(*, max_pixels: int) -> None:
    """Process-wide Pillow setup, called once from `EvidenceConfig.ready()`.

    Pillow's own decompression-bomb check becomes a backstop at our pixel limit, and
    HEIC/HEIF decoding is enabled when pillow-heif is installed.
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        from pillow_heif import register_heif_opener  # noqa: PLC0415 - optional dependency
    except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
        return
    register_heif_opener()


def heif_supported() -> bool:
    """Whether a HEIF decoder is registered with Pillow."""
    return "HEIF" in Image.OPEN


def sniff_format(head: bytes) -> SniffedFormat | None:
    """The format named by the file's magic bytes, or None for anything we do not accept.

    The file name and the client's content type are never consulted.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return SniffedFormat("JPEG", "image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return SniffedFormat("PNG", "image/png", "png")
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return SniffedFormat("WEBP", "image/webp", "webp")
    if len(head) >= 12 and head[4:8] == b"ftyp" and heif_supported():
        return _sniff_heif(head)
    return None


def _sniff_heif(head: bytes) -> SniffedFormat | None:
    box_size = int.from_bytes(head[:4], "big")
    end = min(max(box_size, 16), len(head))
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if brands & _HEIC_BRANDS:
        return SniffedFormat("HEIF", "image/heic", "heic")
    if brands & _AVIF_BRANDS:
        return None
    if brands & _HEIF_BRANDS:
        return SniffedFormat("HEIF", "image/heif", "heif")
    return None


def _too_large(size: int | None, limit: int) -> PayloadTooLarge:
    if size is None:
        return PayloadTooLarge(f"照片大小超过上限 {limit / _MB:g} MB，请压缩后再上传")
    return PayloadTooLarge(
        f"照片大小 {size / _MB:.1f} MB 超过上限 {limit / _MB:g} MB，请压缩后再上传"
    )


def read_limited(data: bytes | IO[bytes], *, max_bytes: int) -> bytes:
    """The upload's bytes; 413 above `max_bytes`, without reading the rest into memory.

    A file whose declared size (an uploaded file's `size`) is too large is refused unread.
    """
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise _too_large(len(data), max_bytes)
        return data
    declared = getattr(data, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _too_large(declared, max_bytes)
    with contextlib.suppress(AttributeError, OSError):
        data.seek(0)
    content = data.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise _too_large(declared if isinstance(declared, int) else None, max_bytes)
    return content


def _too_many_pixels(pixels: int | None, max_pixels: int) -> PayloadTooLarge:
    limit = f"{max_pixels / 10_000:g} 万像素"
    if pixels is None:
        return PayloadTooLarge(f"照片像素数超过上限 {limit}，请降低分辨率后再上传")
    return PayloadTooLarge(
        f"照片像素数约 {pixels / 10_000:.0f} 万，超过上限 {limit}，请降低分辨率后再上传"
    )


class OpenedImage:
    """A fully decoded upload (`image`) and its size in the file (`size`).

    `image` may be smaller than `size` when JPEG draft decoding was asked for. Use it as a
    context manager to close the image.
    """

    def __init__(self, image: Image.Image, size: tuple[int, int]) -> None:
        self.image = image
        self.size = size

    def __enter__(self) -> OpenedImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.image.close()


def _open_header(data: bytes, fmt: SniffedFormat, *, max_pixels: int) -> Image.Image:
    """The image opened lazily (Pillow reads the header, no pixel), its size checked."""
    try:
        img = Image.open(io.BytesIO(data), formats=[fmt.pil_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = _BOMB_PIXELS.search(str(exc))
        raise _too_many_pixels(int(found.group(1)) if found else None, max_pixels) from exc
    except (UnidentifiedImageError, *_DECODE_ERRORS, Warning) as exc:
        # a Warning arrives here only when warnings are errors (tests); production logs it
        raise ValidationFailed(CORRUPT_IMAGE) from exc
    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise _too_many_pixels(width * height, max_pixels)
    if width <= 0 or height <= 0:
        img.close()
        raise ValidationFailed(CORRUPT_IMAGE)
    return img


def header_size(data: bytes, fmt: SniffedFormat, *, max_pixels: int) -> tuple[int, int]:
    """Width and height as the file's header states them, checked against `max_pixels`.

    Decodes no pixel: a 64-megapixel PNG of a few hundred bytes is refused (413) here in
    well under a millisecond, before anything allocates its 190 MB of pixels. Raises
    `ValidationFailed` (422) for a header Pillow cannot read.
    """
    img = _open_header(data, fmt, max_pixels=max_pixels)
    try:
        return img.size
    finally:
        img.close()


def open_image(
    data: bytes, fmt: SniffedFormat, *, max_pixels: int, draft_side: int | None = None
) -> OpenedImage:
    """Open the image, check its pixel count from the header, then decode it completely.

    Raises `PayloadTooLarge` (413) above `max_pixels` before any pixel is decoded, and
    `ValidationFailed` (422) for a file that cannot be decoded, e.g. a truncated one.

    With `draft_side`, a JPEG whose longer side exceeds it is decoded at the smallest DCT
    scale (1/2, 1/4 or 1/8) that still keeps the longer side at least `draft_side`: every
    block of the file is still decoded (a broken file is still refused), at a fraction of
    the cost of full size. With the 2048 px display side that applies from 4096 px on (a
    27-megapixel 6000×4500 JPEG at ½: 59 ms instead of 133 ms on the 2-core development
    machine); a 12-megapixel 4000×3000 photo still decodes at full size.
    """
    img = _open_header(data, fmt, max_pixels=max_pixels)
    width, height = img.size
    try:
        if draft_side is not None and fmt.pil_format == "JPEG":
            scale = draft_side / max(width, height)
            if scale < 1:
                img.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        img.load()
    except (*_DECODE_ERRORS, Warning) as exc:
        img.close()
        raise ValidationFailed(CORRUPT_IMAGE) from exc
    return OpenedImage(img, (width, height))


def read_capture_facts(img: Image.Image) -> CaptureFacts:
    """DateTimeOriginal and GPS position from EXIF. Malformed metadata counts as absent.

    A time without OffsetTimeOriginal is read in Asia/Shanghai.
    """
    try:
        exif = img.getexif()
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # broken metadata must never block evidence
        return CaptureFacts()
    taken_at = _taken_at(
        exif_ifd.get(ExifTags.Base.DateTimeOriginal), exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)
    )
    lat = _coordinate(
        gps_ifd.get(ExifTags.GPS.GPSLatitude), gps_ifd.get(ExifTags.GPS.GPSLatitudeRef), 90
    )
    lon = _coordinate(
        gps_ifd.get(ExifTags.GPS.GPSLongitude), gps_ifd.get(ExifTags.GPS.GPSLongitudeRef), 180
    )
    if lat is None or lon is None:
        lat = lon = None
    return CaptureFacts(taken_at=taken_at, lat=lat, lon=lon)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="ignore")
    return str(value).strip().strip("\x00").strip() if value is not None else ""


def _taken_at(raw: Any, raw_offset: Any) -> datetime | None:
    text = _text(raw)[:19]
    try:
        naive = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - zone added below
    except ValueError:
        return None
    return naive.replace(tzinfo=_offset(_text(raw_offset)) or SHANGHAI)


def _offset(text: str) -> timezone | None:
    found = re.fullmatch(r"([+-])(\d{2}):(\d{2})", text)
    if found is None:
        return None
    sign = -1 if found.group(1) == "-" else 1
    minutes = int(found.group(2)) * 60 + int(found.group(3))
    if minutes > 14 * 60:
        return None
    return timezone(sign * timedelta(minutes=minutes))


def _coordinate(raw: Any, ref: Any, limit: float) -> float | None:
    try:
        parts = [float(part) for part in raw] if isinstance(raw, tuple | list) else [float(raw)]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = sum(part / 60**index for index, part in enumerate(parts[:3]))
    if not math.isfinite(degrees):
        return None
    if _text(ref).upper() in {"S", "W"}:
        degrees = -degrees
    if not -limit <= degrees <= limit:
        return None
    return round(float(degrees), 7)
