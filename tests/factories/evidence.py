"""Factories for the evidence app: real images made with Pillow, and stored photos.

No binary fixtures are committed: every test builds the bytes it uploads.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

from PIL import ExifTags, Image

from smartduty.evidence import services
from smartduty.evidence.models import Photo
from smartduty.org import services as org_services
from smartduty.org.models import District, Officer

TAKEN_AT = "2026:11:29 18:30:05"
LAT_DMS = (31.0, 13.0, 49.5)  # 31.230417 N (Shanghai, People's Square)
LON_DMS = (121.0, 28.0, 25.2)  # 121.473667 E


def camera_exif(
    *,
    taken_at: str | None = TAKEN_AT,
    offset: str | None = None,
    lat: tuple[float, float, float] | None = LAT_DMS,
    lon: tuple[float, float, float] | None = LON_DMS,
    lat_ref: str = "N",
    lon_ref: str = "E",
    orientation: int | None = None,
) -> Image.Exif:
    """EXIF like a phone camera writes: DateTimeOriginal, GPS IFD and orientation."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if taken_at is not None:
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
        exif_ifd[ExifTags.Base.DateTimeOriginal] = taken_at
        if offset is not None:
            exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
        gps[ExifTags.GPS.GPSLatitude] = lat
        gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
        gps[ExifTags.GPS.GPSLongitude] = lon
    return exif


def image_bytes(
    fmt: str = "JPEG",
    *,
    size: tuple[int, int] = (640, 480),
    exif: Image.Exif | None = None,
    noise: bool = False,
    color: tuple[int, int, int] = (180, 40, 40),
) -> bytes:
    """An encoded image: a solid colour, or noise (so it does not compress away)."""
    img = Image.effect_noise(size, 64).convert("RGB") if noise else Image.new("RGB", size, color)
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if exif is not None:
        options["exif"] = exif.tobytes()  # Pillow's PNG writer ignores an Exif object
    img.save(out, fmt, **options)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    """A JPEG cut off half way: the header is fine, decoding fails."""
    data = image_bytes("JPEG", size=(800, 600), noise=True)
    return data[: len(data) // 2]


def huge_png(side: int = 10_000) -> bytes:
    """A 1-bit black PNG of `side`×`side` pixels: 100 megapixels in about 12 KB."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def oversized_bytes(megabytes: int = 30) -> bytes:
    """A JPEG-looking blob of the given size (zeros after a JPEG magic)."""
    return b"\xff\xd8\xff\xe0" + bytes(megabytes * 1024 * 1024 - 4)


def make_photo(
    officer: Officer,
    *,
    district: District | None = None,
    data: bytes | IO[bytes] | None = None,
    filename: str = "scene.jpg",
    **kwargs: Any,
) -> Photo:
    """A photo stored through the service by this officer, in their unit's district."""
    return services.store_photo(
        principal=org_services.principal_for_user(officer.user),
        officer=officer,
        district=district or officer.unit.district,
        data=data if data is not None else image_bytes(exif=camera_exif()),
        filename=filename,
        **kwargs,
    )


def stored_files(root: Path) -> list[Path]:
    """Every file under a storage root (to prove that a rejection stored nothing)."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def isolated_storage(settings: Any, root: Path) -> Path:
    """Point `default_storage` at an empty directory for one test; returns it."""
    root.mkdir(parents=True, exist_ok=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root
