"""Evidence use cases: store a photo, read verified originals and display copies, re-verify.

An upload goes one way: `check_upload` (the one place of the size, format and pixel limits,
shared with the plate reader), one decode in `prepare_photo` (EXIF facts, the display copy,
and on request the decoded picture for the plate reader), `write_photo_files`, then
`save_prepared_photo` in the caller's transaction. Originals are kept byte for byte under
their SHA-256 through `default_storage` (local disk or S3); the watermarked display copy is
derived and stored next to them. Files are written before the rows (content-addressed, so a
leftover is harmless) and removed again when the rows cannot be written.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Final

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from smartduty.evidence import imaging, selectors, watermark
from smartduty.evidence.models import Blob, Photo
from smartduty.evidence.states import PhotoKind
from smartduty.kernel import audit
from smartduty.kernel.checks import check_fields
from smartduty.kernel.errors import (
    IntegrityViolation,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District, Officer

_SNIFF_BYTES: Final = 64
_CHUNK: Final = 1024 * 1024


@dataclass(frozen=True)
class FileCheck:
    """Result of re-hashing one stored file against the hash recorded for it."""

    role: str
    """`original` or `display`."""
    name: str
    expected_sha256: str
    actual_sha256: str | None
    """None when the file is missing or unreadable."""

    @property
    def ok(self) -> bool:
        """True when the stored bytes still hash to the recorded value."""
        return self.actual_sha256 == self.expected_sha256


@dataclass(frozen=True)
class IntegrityReport:
    """Both files of a photo, re-verified."""

    original: FileCheck
    display: FileCheck

    @property
    def ok(self) -> bool:
        """True when original and display copy are both intact."""
        return self.original.ok and self.display.ok


def original_name_for(sha256: str, extension: str) -> str:
    """Storage name of an original: `originals/ab/cd/<sha256>.<ext>`."""
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def display_name_for(sha256: str) -> str:
    """Storage name of a display copy, addressed by its own hash."""
    return f"displays/{sha256[:2]}/{sha256[2:4]}/{sha256}.jpg"


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked, decoded and watermarked upload, ready to be stored (`save_prepared_photo`).

    Preparing does the slow image work without touching the database, so a caller can do it
    before opening its transaction and keep the write lock short.
    """

    district: District
    officer: Officer | None
    kind: str
    content: bytes
    fmt: imaging.SniffedFormat
    size: tuple[int, int]
    sha256: str
    display: bytes
    display_sha256: str
    received_at: datetime
    facts: imaging.CaptureFacts
    client_lat: float | None
    client_lon: float | None
    client_accuracy_m: float | None
    place: str
    filename: str
    picture: Image.Image | None = field(default=None, repr=False, compare=False)
    """With `keep_picture=True`: the one decoded image, upright, RGB and at most
    `EVIDENCE_DISPLAY_MAX_SIDE` on its longer side, without the watermark, for another step
    to look at (the plate reader) instead of decoding the file again. Its user closes it."""


@dataclass(frozen=True)
class PhotoFiles:
    """A prepared photo's files in storage (`write_photo_files`), before any row points at them."""

    blob: Blob | None
    """The stored original of the same bytes, when there was one already."""
    original_name: str
    display_name: str
    created: tuple[str, ...]
    """The files this write made (not reused): removed again if the rows are not written."""


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the size, format and pixel limits (`check_upload`)."""

    content: bytes
    fmt: imaging.SniffedFormat
    size: tuple[int, int]
    """Width and height from the file's header."""


def check_may_add_photo(*, principal: Principal, district: District) -> None:
    """403 without `evidence.add_photo`, 404 for a district outside the principal's subtree.

    Callers that do slow work on a photo before storing it (plate recognition) call this
    first, so a caller who may not add evidence costs nothing."""
    if not principal.has_perm("evidence.add_photo"):
        raise PermissionDenied("您没有上传证据照片的权限")
    if not principal.covers(district.path):
        raise NotFound("未找到该辖区，或不在您的辖区范围内")


def check_upload(data: bytes | IO[bytes]) -> CheckedUpload:
    """The one check of an uploaded photo's size, shared by evidence and the plate reader.

    Reads at most `EVIDENCE_MAX_BYTES` + 1 bytes (413 above), sniffs the format from the
    first bytes (422 for anything but JPEG/PNG/WebP/HEIC) and reads width and height from the
    header alone (413 above `EVIDENCE_MAX_PIXELS`): nothing is decoded before this passes.
    """
    content = imaging.read_limited(data, max_bytes=settings.EVIDENCE_MAX_BYTES)
    if not content:
        raise ValidationFailed("照片文件为空")
    fmt = imaging.sniff_format(content[:_SNIFF_BYTES])
    if fmt is None:
        raise ValidationFailed(imaging.UNSUPPORTED_FORMAT)
    size = imaging.header_size(content, fmt, max_pixels=settings.EVIDENCE_MAX_PIXELS)
    return CheckedUpload(content=content, fmt=fmt, size=size)


def prepare_photo(
    *,
    principal: Principal,
    officer: Officer | None,
    district: District,
    data: bytes | IO[bytes],
    filename: str,
    client_lat: float | None = None,
    client_lon: float | None = None,
    client_accuracy_m: float | None = None,
    place: str = "",
    kind: PhotoKind | str = PhotoKind.SCENE,
    keep_picture: bool = False,
) -> PreparedPhoto:
    """Check and decode one evidence photo and render its watermarked copy; stores nothing.

    In this order, each step only for a request that passed the ones before: 403 without
    `evidence.add_photo`, 404 for a district outside the principal's subtree, 422 for a bad
    position or place; then `check_upload` (413 above `EVIDENCE_MAX_BYTES` or
    `EVIDENCE_MAX_PIXELS`, 422 for a format other than JPEG/PNG/WebP/HEIC); then the one
    decode (422 for an undecodable file), whose image gives the EXIF facts, the display copy
    and, with `keep_picture`, `PreparedPhoto.picture`.
    """
    check_may_add_photo(principal=principal, district=district)
    _check_position(client_lat, client_lon, client_accuracy_m)
    place = place.strip()
    if len(place) > 200:
        raise ValidationFailed("地点描述不能超过 200 个字")
    if kind not in PhotoKind.values:
        raise ValidationFailed("照片类别无效")
    received_at = timezone.now()

    upload = check_upload(data)
    content, fmt = upload.content, upload.fmt
    max_side = settings.EVIDENCE_DISPLAY_MAX_SIDE
    # a JPEG is decoded at the DCT scale that still covers the display copy (see FIT_SLACK)
    draft_side = math.ceil(max_side * watermark.FIT_SLACK)
    with imaging.open_image(
        content, fmt, max_pixels=settings.EVIDENCE_MAX_PIXELS, draft_side=draft_side
    ) as opened:
        facts = imaging.read_capture_facts(opened.image)
        # the server's clock and the phone's reported position win: EXIF is whatever the file
        # says (a wrong camera clock, a forged 2099 date) and is only kept as metadata; it
        # places the photo only when the phone sent no position
        lat, lon = (client_lat, client_lon) if client_lat is not None else (facts.lat, facts.lon)
        picture = (
            watermark.display_picture(opened.image, max_side=max_side) if keep_picture else None
        )
        display = watermark.render_display_copy(  # on a copy of `picture`, which stays clean
            picture or opened.image,
            lines=watermark_lines(
                received_at=received_at,
                place=place,
                lat=lat,
                lon=lon,
                badge_number=officer.badge_number if officer is not None else None,
            ),
            max_side=max_side,
            font_path=settings.EVIDENCE_FONT_PATH,
        )
        size = opened.size
    return PreparedPhoto(
        district=district,
        officer=officer,
        kind=str(kind),
        content=content,
        fmt=fmt,
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
        display=display,
        display_sha256=hashlib.sha256(display).hexdigest(),
        received_at=received_at,
        facts=facts,
        client_lat=client_lat,
        client_lon=client_lon,
        client_accuracy_m=client_accuracy_m,
        place=place,
        filename=filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255],
        picture=picture,
    )


def write_photo_files(prepared: PreparedPhoto) -> PhotoFiles:
    """Put a prepared photo's original and display copy into storage; writes no row.

    Storage may be slow (a disk's fsync, S3 over the network): a caller with a transaction
    calls this before opening it and hands the result to `save_prepared_photo`. Bytes that
    are stored already (the same SHA-256) are not written again.
    """
    p = prepared
    created: list[str] = []
    try:
        existing = selectors.find_blob(sha256=p.sha256)
        original_name = existing.storage_name if existing is not None else None
        if original_name is None:
            original_name = _put(original_name_for(p.sha256, p.fmt.extension), p.content, created)
        display_name = _put(display_name_for(p.display_sha256), p.display, created)
    except BaseException:
        _discard_unreferenced(created)
        raise
    return PhotoFiles(
        blob=existing,
        original_name=original_name,
        display_name=display_name,
        created=tuple(created),
    )


def save_prepared_photo(prepared: PreparedPhoto, files: PhotoFiles | None = None) -> Photo:
    """Write a prepared photo's rows, and its files first unless `files` says where they are
    (`write_photo_files`); returns the new `Photo`.

    Identical bytes share one `Blob`. Runs its own (nested) transaction; callers may wrap it
    in theirs. If the rows cannot be written, the files this photo created are removed; if
    the caller's transaction later rolls back they stay as harmless, content-addressed
    leftovers.
    """
    p = prepared
    if files is None:
        files = write_photo_files(prepared)
    try:
        with transaction.atomic():
            blob = files.blob or _create_blob(
                sha256=p.sha256,
                size_bytes=len(p.content),
                mime_type=p.fmt.mime_type,
                size=p.size,
                storage_name=files.original_name,
            )
            photo = Photo(
                district=p.district,
                blob=blob,
                uploaded_by=p.officer,
                kind=p.kind,
                received_at=p.received_at,
                device_taken_at=p.facts.taken_at.astimezone(UTC) if p.facts.taken_at else None,
                exif_lat=p.facts.lat,
                exif_lon=p.facts.lon,
                client_lat=p.client_lat,
                client_lon=p.client_lon,
                client_accuracy_m=p.client_accuracy_m,
                place=p.place,
                original_filename=p.filename,
                display_name=files.display_name,
                display_sha256=p.display_sha256,
            )
            _full_clean(photo)
            photo.save()
    except BaseException:
        _discard_unreferenced(files.created)
        raise
    # a concurrent upload of the same bytes may have won the race for the blob row
    _discard_unreferenced(set(files.created) - {blob.storage_name, photo.display_name})
    return photo


def store_photo(
    *,
    principal: Principal,
    officer: Officer | None,
    district: District,
    data: bytes | IO[bytes],
    filename: str,
    client_lat: float | None = None,
    client_lon: float | None = None,
    client_accuracy_m: float | None = None,
    place: str = "",
    kind: PhotoKind | str = PhotoKind.SCENE,
) -> Photo:
    """Check, store and register one evidence photo; returns the new `Photo`.

    `prepare_photo` (checks and image work, see its refusals) then `save_prepared_photo`.
    Nothing is stored on rejection.
    """
    return save_prepared_photo(
        prepare_photo(
            principal=principal,
            officer=officer,
            district=district,
            data=data,
            filename=filename,
            client_lat=client_lat,
            client_lon=client_lon,
            client_accuracy_m=client_accuracy_m,
            place=place,
            kind=kind,
        )
    )


def watermark_lines(
    *,
    received_at: datetime,
    place: str,
    lat: float | None,
    lon: float | None,
    badge_number: str | None,
) -> list[str]:
    """The three watermark lines: the server's receive time (Asia/Shanghai), place or
    coordinates, badge number. The camera's EXIF time is never shown: it is not evidence."""
    local = timezone.localtime(received_at, imaging.SHANGHAI)
    label = "接收时间"
    if place:
        where = f"地点 {place}"
    elif lat is not None and lon is not None:
        where = f"坐标 {lat:.6f}, {lon:.6f}"
    else:
        where = "地点 未提供"
    return [
        f"{label} {local:%Y-%m-%d %H:%M:%S}",
        where,
        f"执法证号 {badge_number or '未登记'}",
    ]


def open_original(*, photo: Photo, actor: User | AnonymousUser | None = None) -> bytes:
    """The stored original, after re-checking its SHA-256.

    On a mismatch or a missing file, writes an `evidence.integrity_failed` audit row and
    raises `IntegrityViolation` (409). Call it outside `transaction.atomic()`, or the audit
    row is rolled back with the caller's transaction.
    """
    blob = photo.blob
    data, check = _read_checked("original", blob.storage_name, blob.sha256)
    if data is None or not check.ok:
        _record_failure(photo=photo, actor=actor, checks=[check])
        if check.actual_sha256 is None:
            raise IntegrityViolation("证据原件缺失或无法读取，请联系系统管理员")
        raise IntegrityViolation("证据原件校验失败：文件内容与登记的 SHA-256 不一致，可能已被篡改")
    return data


def open_display(*, photo: Photo, actor: User | AnonymousUser | None = None) -> bytes:
    """The watermarked JPEG display copy, after re-checking its SHA-256 (409 on mismatch)."""
    data, check = _read_checked("display", photo.display_name, photo.display_sha256)
    if data is None or not check.ok:
        _record_failure(photo=photo, actor=actor, checks=[check])
        raise IntegrityViolation("展示图校验失败：文件缺失或内容与登记的 SHA-256 不一致")
    return data


def verify_photo(*, photo: Photo, actor: User | AnonymousUser | None = None) -> IntegrityReport:
    """Re-hash the original and the display copy, and audit the outcome.

    Writes `evidence.integrity_verified` when both match, else `evidence.integrity_failed`.
    """
    _, original = _read_checked("original", photo.blob.storage_name, photo.blob.sha256)
    _, display = _read_checked("display", photo.display_name, photo.display_sha256)
    report = IntegrityReport(original=original, display=display)
    if report.ok:
        audit.record(
            actor=actor,
            action="evidence.integrity_verified",
            obj=photo,
            district_path=photo.district.path,
            changes={"original_sha256": original.expected_sha256},
        )
    else:
        _record_failure(
            photo=photo,
            actor=actor,
            checks=[check for check in (original, display) if not check.ok],
        )
    return report


def render_thumbnail(*, photo: Photo, max_side: int = 160) -> bytes | None:
    """A small JPEG of the display copy for the back office; None if the file is missing."""
    data = _read(photo.display_name)
    if data is None:
        return None
    return watermark.render_thumbnail(data, max_side=max_side)


def _check_position(lat: float | None, lon: float | None, accuracy_m: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationFailed("终端定位需同时提供纬度和经度")
    if lat is not None and not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValidationFailed("纬度须在 -90 到 90 之间")
    if lon is not None and not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValidationFailed("经度须在 -180 到 180 之间")
    if accuracy_m is not None and not (math.isfinite(accuracy_m) and accuracy_m >= 0):
        raise ValidationFailed("定位精度（米）不能为负数")


def _full_clean(obj: Blob | Photo) -> None:
    # the foreign keys were just loaded; kind, positions and MIME type were checked above
    check_fields(obj, prefix="照片信息不符合要求：")


def _create_blob(
    *, sha256: str, size_bytes: int, mime_type: str, size: tuple[int, int], storage_name: str
) -> Blob:
    blob = Blob(
        sha256=sha256,
        size_bytes=size_bytes,
        mime_type=mime_type,
        width=size[0],
        height=size[1],
        storage_name=storage_name,
    )
    _full_clean(blob)
    try:
        with transaction.atomic():
            blob.save()
    except IntegrityError:
        # the same bytes were stored by a concurrent upload a moment ago
        return Blob.objects.get(sha256=sha256)
    return blob


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(name: str) -> bytes | None:
    try:
        with default_storage.open(name, "rb") as fh:
            data: bytes = fh.read()
    except (OSError, ValueError):
        return None
    return data


def _read_checked(role: str, name: str, expected: str) -> tuple[bytes | None, FileCheck]:
    data = _read(name)
    actual = _digest(data) if data is not None else None
    return data, FileCheck(role=role, name=name, expected_sha256=expected, actual_sha256=actual)


def _put(name: str, content: bytes, created: list[str]) -> str:
    """Store content-addressed bytes; an intact file already under `name` is reused.

    A different file under that name is never overwritten: the storage picks a free name.
    """
    if default_storage.exists(name):
        existing = _read(name)
        if existing is not None and _digest(existing) == _digest(content):
            return name
    stored = default_storage.save(name, ContentFile(content))
    created.append(stored)
    return stored


def _discard_unreferenced(names: Iterable[str]) -> None:
    """Best effort: delete files this call created that no row points at."""
    for name in names:
        try:
            referenced = selectors.is_storage_name_referenced(name=name)
        except DatabaseError:
            continue  # the caller's transaction is broken; a leftover file is harmless
        if not referenced:
            with contextlib.suppress(OSError):
                default_storage.delete(name)


def _record_failure(
    *, photo: Photo, actor: User | AnonymousUser | None, checks: list[FileCheck]
) -> None:
    audit.record(
        actor=actor,
        action="evidence.integrity_failed",
        obj=photo,
        district_path=photo.district.path,
        reason="；".join(
            f"{'原件' if check.role == 'original' else '展示图'}"
            f"{'缺失或无法读取' if check.actual_sha256 is None else '哈希不一致'}"
            for check in checks
        ),
        changes={
            check.role: {
                "name": check.name,
                "expected_sha256": check.expected_sha256,
                "actual_sha256": check.actual_sha256,
            }
            for check in checks
        },
    )
