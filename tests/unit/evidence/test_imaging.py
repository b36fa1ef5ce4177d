"""Format sniffing, bomb guards, decoding and EXIF facts, on bytes alone."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import ExifTags, Image

from smartduty.evidence import imaging
from smartduty.kernel.errors import PayloadTooLarge, ValidationFailed
from tests.factories.evidence import camera_exif, huge_png, image_bytes, truncated_jpeg


@pytest.mark.parametrize(
    ("fmt", "mime", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("WEBP", "image/webp", "webp"),
        ("HEIF", "image/heic", "heic"),
    ],
)
def test_sniff_reads_magic_bytes(fmt: str, mime: str, extension: str) -> None:
    sniffed = imaging.sniff_format(image_bytes(fmt, size=(32, 24))[:64])
    assert sniffed is not None
    assert (sniffed.mime_type, sniffed.extension) == (mime, extension)


@pytest.mark.parametrize(
    "head",
    [
        b"hello, this is text pretending to be a JPEG",
        b"GIF89a" + bytes(20),
        b"%PDF-1.7\n",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41",
        b"",
    ],
)
def test_sniff_rejects_everything_else(head: bytes) -> None:
    assert imaging.sniff_format(head) is None


def test_sniff_generic_heif_brand() -> None:
    sniffed = imaging.sniff_format(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf")
    assert sniffed is not None
    assert sniffed.mime_type == "image/heif"


def test_open_image_decodes_fully() -> None:
    data = image_bytes("PNG", size=(50, 40))
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with imaging.open_image(data, fmt, max_pixels=50_000_000) as opened:
        assert opened.size == opened.image.size == (50, 40)
        assert opened.image.getpixel((0, 0)) == (180, 40, 40)


def _jpeg(size: tuple[int, int], exif: Image.Exif | None = None) -> bytes:
    img = Image.new("RGB", size, (30, 120, 200))
    img.paste((250, 250, 250), (0, 0, size[0] // 4, size[1] // 4))  # a bright corner block
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif or Image.Exif())
    return out.getvalue()


def test_draft_decodes_a_large_jpeg_smaller_but_keeps_the_file_size() -> None:
    data = _jpeg((4000, 3000))
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with imaging.open_image(data, fmt, max_pixels=50_000_000, draft_side=1600) as opened:
        assert opened.size == (4000, 3000)  # what the Blob records
        assert opened.image.size == (2000, 1500)  # 1/2 scale: the longest side stays ≥ 1600
        assert opened.image.getpixel((10, 10))[0] > 240  # the same picture, scaled
        assert opened.image.getpixel((1900, 1400))[2] > 180


def test_draft_leaves_small_jpegs_and_other_formats_at_full_size() -> None:
    for data in (_jpeg((800, 600)), image_bytes("PNG", size=(3000, 2000))):
        fmt = imaging.sniff_format(data)
        assert fmt is not None
        with imaging.open_image(data, fmt, max_pixels=50_000_000, draft_side=700) as opened:
            assert opened.image.size == opened.size


def test_draft_keeps_exif_orientation_and_still_refuses_a_truncated_jpeg() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise for display
    data = _jpeg((4000, 3000), exif)
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with imaging.open_image(data, fmt, max_pixels=50_000_000, draft_side=1000) as opened:
        assert opened.image.size == (1000, 750)
        assert opened.image.getexif().get(ExifTags.Base.Orientation) == 6
    with pytest.raises(ValidationFailed, match="已损坏"):
        imaging.open_image(data[: len(data) // 2], fmt, max_pixels=50_000_000, draft_side=1000)


def test_truncated_file_is_corrupt() -> None:
    data = truncated_jpeg()
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with pytest.raises(ValidationFailed, match="照片文件已损坏，无法解码"):
        imaging.open_image(data, fmt, max_pixels=50_000_000)


def test_header_only_garbage_is_corrupt() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"garbage" * 10
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with pytest.raises(ValidationFailed, match="已损坏"):
        imaging.open_image(data, fmt, max_pixels=50_000_000)


def test_pixel_limit_from_header_before_decoding() -> None:
    data = image_bytes("PNG", size=(300, 200))
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with pytest.raises(PayloadTooLarge, match="像素数约 6 万，超过上限 5 万像素"):
        imaging.open_image(data, fmt, max_pixels=50_000)


def test_decompression_bomb_becomes_413() -> None:
    assert Image.MAX_IMAGE_PIXELS == 50_000_000  # set by EvidenceConfig.ready()
    data = huge_png()
    assert len(data) < 100_000
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with pytest.raises(PayloadTooLarge, match="超过上限 5000 万像素"):
        imaging.open_image(data, fmt, max_pixels=50_000_000)


def test_far_beyond_pillow_limit_is_413_too() -> None:
    data = huge_png(side=12_000)  # 144 MP: Pillow raises instead of warning
    fmt = imaging.sniff_format(data)
    assert fmt is not None
    with pytest.raises(PayloadTooLarge, match="14400 万"):
        imaging.open_image(data, fmt, max_pixels=50_000_000)


def _facts(exif: Image.Exif, fmt: str = "JPEG") -> imaging.CaptureFacts:
    return imaging.read_capture_facts(Image.open(io.BytesIO(image_bytes(fmt, exif=exif))))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_exif_time_and_gps(fmt: str) -> None:
    facts = _facts(camera_exif(), fmt)
    assert facts.taken_at == datetime(2026, 11, 29, 10, 30, 5, tzinfo=UTC)
    assert facts.lat == pytest.approx(31.230417, abs=1e-6)
    assert facts.lon == pytest.approx(121.473667, abs=1e-6)


def test_exif_offset_and_southern_western_hemisphere() -> None:
    facts = _facts(camera_exif(offset="-03:00", lat_ref="S", lon_ref="W"))
    assert facts.taken_at == datetime(2026, 11, 29, 21, 30, 5, tzinfo=UTC)
    assert facts.lat is not None
    assert facts.lon is not None
    assert facts.lat < 0
    assert facts.lon < 0


def test_missing_or_malformed_exif_is_absent() -> None:
    assert _facts(Image.Exif()) == imaging.CaptureFacts()
    blank = camera_exif(taken_at="    :  :     :  :  ", lat=(95.0, 0.0, 0.0))
    assert _facts(blank) == imaging.CaptureFacts()
    exif = camera_exif(lat=None, lon=None)
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (31.0, 0.0, 0.0)
    assert _facts(exif).lat is None
