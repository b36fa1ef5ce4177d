"""Photo work of the parking loop that runs before a transaction (ADR 0007): the capture time
check, a report's photo taken in one pass (checked, decoded once, read and watermarked), the
follow-up photos prepared at the report's place, and where two photos were taken. Files go to
storage here; `services` writes the rows in its transaction."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.utils import timezone

from smartduty.evidence import services as evidence
from smartduty.evidence.models import Photo
from smartduty.evidence.services import PhotoFiles, PreparedPhoto
from smartduty.evidence.states import PhotoKind
from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District, Officer
from smartduty.parking.models import ParkingReport
from smartduty.recognition import services as recognition

MAX_CAPTURE_AGE = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=2)


def check_capture_time(captured_at: datetime | None) -> None:
    """422 for a phone's capture time in the future or more than `MAX_CAPTURE_AGE` ago."""
    if captured_at is None:
        return
    if timezone.is_naive(captured_at):
        raise ValidationFailed("拍摄时间必须带时区")
    now = timezone.now()
    if captured_at > now + CLOCK_SKEW:
        raise ValidationFailed("拍摄时间晚于服务器时间，请检查手机时间设置")
    if now - captured_at > MAX_CAPTURE_AGE:
        raise ValidationFailed("拍摄时间早于 24 小时，不能作为违停上报，请重新拍照")


@dataclass(frozen=True)
class ReadyPhoto:
    """A photo whose slow work is done: prepared, its files in storage, its plate read (a
    report's photo, when asked). `services` saves it in the transaction that uses it."""

    prepared: PreparedPhoto
    files: PhotoFiles
    reading: tuple[str, float] | None = None
    """`(text, confidence)` of the most likely plate, or None (not read, none found)."""


def prepare_report_photo(
    *,
    principal: Principal,
    officer: Officer,
    district: District,
    photo: bytes | IO[bytes],
    filename: str,
    place: str,
    lat: float | None,
    lon: float | None,
    accuracy_m: float | None,
    read_plate: bool,
) -> ReadyPhoto:
    """A new report's photo, in one pass: evidence checks the request and the upload limits,
    decodes the photo once, makes its display copy and stores the files; with `read_plate`
    the plate reader then looks at that same decoded picture. Call it before the report's
    transaction (no write lock is held while decoding or reading).

    A reader that cannot run (no models, busy) leaves the report without a reading.
    """
    prepared = evidence.prepare_photo(
        principal=principal,
        officer=officer,
        district=district,
        data=photo,
        filename=filename,
        client_lat=lat,
        client_lon=lon,
        client_accuracy_m=accuracy_m,
        place=place,
        kind=PhotoKind.SCENE,
        keep_picture=read_plate,
    )
    files = evidence.write_photo_files(prepared)
    if prepared.picture is None:
        return ReadyPhoto(prepared, files)
    with contextlib.closing(prepared.picture) as picture:  # its pixels are not kept
        best = recognition.suggest_plate(picture=picture)
    return ReadyPhoto(prepared, files, (best.text, best.confidence) if best else None)


def prepare_photo_at(  # noqa: PLR0917 - an upload's fields, in the order of the form
    report: ParkingReport,
    principal: Principal,
    officer: Officer,
    photo: bytes | IO[bytes],
    filename: str,
    kind: PhotoKind,
    lat: float | None,
    lon: float | None,
    accuracy_m: float | None,
) -> ReadyPhoto:
    """Check, watermark and store the files of a follow-up photo of a report (re-check,
    posted notice) at its district and place; call it before the transaction that saves it."""
    prepared = evidence.prepare_photo(
        principal=principal,
        officer=officer,
        district=report.district,
        data=photo,
        filename=filename,
        client_lat=lat,
        client_lon=lon,
        client_accuracy_m=accuracy_m,
        place=report.place,
        kind=kind,
    )
    return ReadyPhoto(prepared, evidence.write_photo_files(prepared))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def position(photo: Photo, lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """Where a photo was taken: the form's point, else the phone's, else the EXIF one."""
    if lat is not None and lon is not None:
        return lat, lon
    if photo.client_lat is not None and photo.client_lon is not None:
        return photo.client_lat, photo.client_lon
    if photo.exif_lat is not None and photo.exif_lon is not None:
        return photo.exif_lat, photo.exif_lon
    return None
