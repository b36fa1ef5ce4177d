"""Photo work of the parking loop that runs before a transaction (ADR 0007): the capture time
check, the plate reading of an upload, follow-up photos prepared at the report's place, and
where two photos were taken. No database writes here; `services` stores what this prepares."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import IO

from django.utils import timezone

from smartduty.evidence import services as evidence
from smartduty.evidence.models import Photo
from smartduty.evidence.states import PhotoKind
from smartduty.kernel.errors import DomainError, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.org.models import Officer
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


def recognize(photo: bytes | IO[bytes]) -> tuple[bytes, tuple[str, float] | None]:
    """Read the plate before the report's transaction (no write lock held while computing).

    Returns the photo's bytes and `(text, confidence)` or None. The evidence limits (size,
    format, pixels from the header) are checked first, so a photo that could never be stored
    is refused (413/422) before the recogniser decodes it; a recogniser that cannot run
    (no models, busy) leaves the report without a reading.
    """
    data = evidence.check_upload(photo).content
    try:
        best = recognition.read_plate(data=data).best
    except DomainError:
        return data, None
    if best is None:
        return data, None
    return data, (best.text, best.confidence)


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
) -> evidence.PreparedPhoto:
    """Check and watermark a follow-up photo of a report (re-check, posted notice) at its
    district and place; call it before the transaction that saves it."""
    return evidence.prepare_photo(
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
