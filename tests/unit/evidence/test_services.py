"""store_photo, open_original, open_display and verify_photo against a real storage dir."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from smartduty.evidence import selectors, services
from smartduty.evidence.models import Blob, Photo
from smartduty.evidence.states import PhotoKind
from smartduty.kernel.errors import (
    IntegrityViolation,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
)
from smartduty.kernel.models import AuditEntry
from smartduty.kernel.scoping import Principal
from smartduty.org import services as org_services
from smartduty.org.models import Officer
from tests.factories.evidence import (
    camera_exif,
    huge_png,
    image_bytes,
    make_photo,
    oversized_bytes,
    stored_files,
    truncated_jpeg,
)
from tests.factories.org import City

pytestmark = pytest.mark.django_db


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_store_keeps_original_bytes_and_facts(officer_a: Officer, media: Path) -> None:
    data = image_bytes(exif=camera_exif())
    photo = make_photo(
        officer_a,
        data=data,
        client_lat=31.2304,
        client_lon=121.4737,
        client_accuracy_m=8.5,
        place="人民路 88 号",
        kind=PhotoKind.RECHECK,
    )
    blob = photo.blob
    assert blob.sha256 == _sha(data)
    assert blob.storage_name == f"originals/{blob.sha256[:2]}/{blob.sha256[2:4]}/{blob.sha256}.jpg"
    assert (blob.mime_type, blob.width, blob.height, blob.size_bytes) == (
        "image/jpeg",
        640,
        480,
        len(data),
    )
    with default_storage.open(blob.storage_name, "rb") as fh:
        assert fh.read() == data
    assert photo.device_taken_at == datetime(2026, 11, 29, 10, 30, 5, tzinfo=UTC)
    assert photo.exif_lat == pytest.approx(31.230417, abs=1e-6)
    assert (photo.client_lat, photo.client_lon, photo.client_accuracy_m) == (31.2304, 121.4737, 8.5)
    assert photo.uploaded_by == officer_a
    assert photo.kind == PhotoKind.RECHECK
    assert photo.original_filename == "scene.jpg"
    display = services.open_display(photo=photo)
    assert display != data
    assert _sha(display) == photo.display_sha256
    assert Image.open(io.BytesIO(display)).format == "JPEG"
    assert len(stored_files(media)) == 2


def test_uploaded_file_objects_are_accepted(officer_a: Officer) -> None:
    data = image_bytes("WEBP")
    upload = SimpleUploadedFile("C:\\手机\\IMG_0001.webp", data, content_type="text/plain")
    photo = make_photo(officer_a, data=upload, filename=upload.name or "")
    assert photo.blob.mime_type == "image/webp"
    assert photo.original_filename == "IMG_0001.webp"
    assert services.open_original(photo=photo) == data


def test_same_bytes_share_one_blob(officer_a: Officer, media: Path) -> None:
    data = image_bytes("PNG")
    first = make_photo(officer_a, data=data, place="甲")
    second = make_photo(officer_a, data=data, place="乙")
    assert first.blob_id == second.blob_id
    assert first.pk != second.pk
    assert Blob.objects.count() == 1
    assert len(stored_files(media)) == 3  # one original, two differently watermarked copies


def test_watermark_lines() -> None:
    lines = services.watermark_lines(
        received_at=datetime(2026, 11, 29, 10, 30, 5, tzinfo=UTC),
        place="",
        lat=31.2304,
        lon=121.4737,
        badge_number="SF1001",
    )
    assert lines == [
        "接收时间 2026-11-29 18:30:05",
        "坐标 31.230400, 121.473700",
        "执法证号 SF1001",
    ]
    fallback = services.watermark_lines(
        received_at=datetime(2026, 11, 29, 10, 30, 5, tzinfo=UTC),
        place="",
        lat=None,
        lon=None,
        badge_number=None,
    )
    assert fallback == ["接收时间 2026-11-29 18:30:05", "地点 未提供", "执法证号 未登记"]


def test_server_time_and_phone_position_win_over_exif(
    officer_a: Officer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A camera clock set to 2099 and an EXIF position elsewhere reach neither the watermark
    nor the photo's position; the EXIF facts are kept as recorded metadata."""
    drawn: list[list[str]] = []
    render = services.watermark.render_display_copy

    def spy(img: Any, *, lines: list[str], **kwargs: Any) -> bytes:
        drawn.append(list(lines))
        return render(img, lines=lines, **kwargs)

    monkeypatch.setattr(services.watermark, "render_display_copy", spy)
    forged = camera_exif(taken_at="2099:01:01 08:00:00")  # EXIF position: Shanghai
    before = datetime.now(UTC)
    photo = make_photo(
        officer_a, data=image_bytes(exif=forged), client_lat=36.4561, client_lon=115.9851
    )
    assert photo.device_taken_at == datetime(2099, 1, 1, 0, 0, tzinfo=UTC)  # kept as recorded
    assert photo.exif_lat == pytest.approx(31.230417, abs=1e-6)
    assert before <= photo.received_at <= datetime.now(UTC)
    (lines,) = drawn
    shown = timezone.localtime(photo.received_at).strftime("%Y-%m-%d %H:%M:%S")
    assert lines[0] == f"接收时间 {shown}"
    assert "2099" not in "".join(lines)
    assert lines[1] == "坐标 36.456100, 115.985100"  # the phone's fix, not EXIF's Shanghai

    drawn.clear()
    make_photo(officer_a, data=image_bytes(exif=camera_exif()))  # no position from the phone
    assert drawn[0][1] == "坐标 31.230417, 121.473667"  # EXIF places it only then


def test_receive_time_used_without_exif(officer_a: Officer) -> None:
    photo = make_photo(officer_a, data=image_bytes("PNG"))
    assert photo.device_taken_at is None
    assert photo.exif_lat is None


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (truncated_jpeg(), ValidationFailed, "照片文件已损坏，无法解码"),
        (b"just some text, saved as x.jpg", ValidationFailed, "不支持的文件格式"),
        (b"", ValidationFailed, "照片文件为空"),
        (huge_png(), PayloadTooLarge, "超过上限 5000 万像素"),
    ],
)
def test_rejections_store_nothing(
    officer_a: Officer, media: Path, data: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make_photo(officer_a, data=data, filename="x.jpg")
    assert Blob.objects.count() == Photo.objects.count() == 0
    assert stored_files(media) == []


def test_size_limit_checked_before_reading(officer_a: Officer, media: Path) -> None:
    upload = SimpleUploadedFile("big.jpg", oversized_bytes(30))
    with pytest.raises(PayloadTooLarge, match=r"照片大小 30\.0 MB 超过上限 20 MB"):
        make_photo(officer_a, data=upload)
    with pytest.raises(PayloadTooLarge, match="超过上限 20 MB"):
        make_photo(officer_a, data=oversized_bytes(21))
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("position", "message"),
    [
        ({"client_lat": 91.0, "client_lon": 0.0}, "纬度"),
        ({"client_lat": 0.0, "client_lon": -181.0}, "经度"),
        ({"client_lat": 30.0}, "同时提供"),
        ({"client_lat": 30.0, "client_lon": 120.0, "client_accuracy_m": -1.0}, "精度"),
        ({"client_lat": float("nan"), "client_lon": 120.0}, "纬度"),
        ({"kind": "selfie"}, "类别"),
    ],
)
def test_bad_position_or_kind_is_422(
    officer_a: Officer, media: Path, position: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        make_photo(officer_a, **position)
    assert stored_files(media) == []


def test_permission_and_scope(city: City, officer_a: Officer, officer_b: Officer) -> None:
    with pytest.raises(NotFound):
        make_photo(officer_b, district=city.district_a)
    nobody = Principal(user_id=None, username="x", district_path=city.city.path)
    with pytest.raises(PermissionDenied):
        services.store_photo(
            principal=nobody,
            officer=None,
            district=city.district_a,
            data=image_bytes(),
            filename="a.jpg",
        )
    photo = make_photo(officer_a, district=city.street_a)
    principal_b = org_services.principal_for_user(officer_b.user)
    with pytest.raises(NotFound):
        selectors.get_photo(principal=principal_b, public_id=photo.public_id)
    assert list(selectors.list_photos(principal=principal_b)) == []
    principal_a = org_services.principal_for_user(officer_a.user)
    assert selectors.get_photo(principal=principal_a, public_id=photo.public_id) == photo


def test_db_failure_leaves_no_files(
    officer_a: Officer, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(Photo, "save", fail)
    with pytest.raises(RuntimeError):
        make_photo(officer_a)
    assert Blob.objects.count() == 0
    assert stored_files(media) == []


def test_db_failure_keeps_files_of_other_photos(
    officer_a: Officer, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = image_bytes()
    make_photo(officer_a, data=data, place="甲")
    before = stored_files(media)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(Photo, "save", fail)
    with pytest.raises(RuntimeError):
        make_photo(officer_a, data=data, place="乙")
    assert stored_files(media) == before


def test_tampered_original_is_detected_and_audited(officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    with default_storage.open(photo.blob.storage_name, "wb") as fh:
        fh.write(b"tampered")
    with pytest.raises(IntegrityViolation, match="SHA-256 不一致"):
        services.open_original(photo=photo, actor=officer_a.user)
    entry = AuditEntry.objects.get(action="evidence.integrity_failed")
    assert entry.object_id == str(photo.public_id)
    assert entry.actor == officer_a.user
    assert entry.changes["original"]["expected_sha256"] == photo.blob.sha256
    assert entry.changes["original"]["actual_sha256"] == _sha(b"tampered")


def test_missing_files_are_integrity_failures(officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    default_storage.delete(photo.blob.storage_name)
    default_storage.delete(photo.display_name)
    with pytest.raises(IntegrityViolation, match="缺失"):
        services.open_original(photo=photo)
    with pytest.raises(IntegrityViolation, match="展示图"):
        services.open_display(photo=photo)
    assert services.render_thumbnail(photo=photo) is None
    assert AuditEntry.objects.filter(action="evidence.integrity_failed").count() == 2


def test_verify_photo_reports_and_audits(officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    report = services.verify_photo(photo=photo, actor=officer_a.user)
    assert report.ok
    assert AuditEntry.objects.filter(action="evidence.integrity_verified").count() == 1
    with default_storage.open(photo.display_name, "wb") as fh:
        fh.write(b"edited")
    report = services.verify_photo(photo=photo, actor=officer_a.user)
    assert report.original.ok
    assert not report.display.ok
    assert not report.ok
    failed = AuditEntry.objects.get(action="evidence.integrity_failed")
    assert set(failed.changes) == {"display"}


def test_reupload_after_orphan_with_same_name(officer_a: Officer, media: Path) -> None:
    data = image_bytes()
    name = services.original_name_for(_sha(data), "jpg")
    default_storage.save(name, io.BytesIO(b"junk left by a crash"))
    photo = make_photo(officer_a, data=data)
    assert photo.blob.storage_name != name
    assert services.open_original(photo=photo) == data


def test_big_image_display_is_bounded(officer_a: Officer) -> None:
    photo = make_photo(officer_a, data=image_bytes(size=(4000, 3000), noise=True))
    display = Image.open(io.BytesIO(services.open_display(photo=photo)))
    # decoded at ½ scale (2000 px ≥ ¾ of the 2048 px display side): no resampling needed
    assert display.size == (2000, 1500)
    assert (photo.blob.width, photo.blob.height) == (4000, 3000)


def test_place_too_long_is_422(officer_a: Officer, media: Path) -> None:
    with pytest.raises(ValidationFailed, match="200"):
        make_photo(officer_a, place="路" * 201)
    assert stored_files(media) == []


def test_garbage_exif_does_not_block_upload(officer_a: Officer) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (9, 9, 9)).save(out, "JPEG", exif=b"Exif\x00\x00garbage-garbage")
    photo = make_photo(officer_a, data=out.getvalue())
    assert photo.device_taken_at is None
    assert photo.exif_lat is None
    assert Image.open(io.BytesIO(services.open_display(photo=photo))).size == (64, 48)


def _prepare(officer: Officer, data: bytes, **kwargs: Any) -> services.PreparedPhoto:
    return services.prepare_photo(
        principal=org_services.principal_for_user(officer.user),
        officer=officer,
        district=officer.unit.district,
        data=data,
        filename="scene.jpg",
        **kwargs,
    )


def test_the_kept_picture_is_the_upright_display_picture_without_the_watermark(
    officer_a: Officer,
) -> None:
    """One decode serves the display copy and, on request, the plate reader: the same
    display copy either way, and a clean picture beside it."""
    data = image_bytes(size=(1600, 1200), exif=camera_exif(orientation=6), color=(30, 160, 60))
    with time_machine.travel(datetime(2026, 11, 29, 10, 30, tzinfo=UTC), tick=False):
        plain = _prepare(officer_a, data)
        kept = _prepare(officer_a, data, keep_picture=True)
    assert plain.picture is None
    assert kept.picture is not None
    assert kept.display == plain.display
    assert kept.facts == plain.facts
    with kept.picture as picture, Image.open(io.BytesIO(kept.display)) as display:
        assert picture.mode == "RGB"
        assert picture.size == display.size == (1200, 1600)  # turned upright, as displayed
        bottom = picture.getpixel((600, 1598))  # under the display copy's dark bar
    assert isinstance(bottom, tuple)
    assert bottom[1] > 130


def test_files_are_written_before_the_rows_and_not_again(officer_a: Officer, media: Path) -> None:
    prepared = _prepare(officer_a, image_bytes())
    files = services.write_photo_files(prepared)
    assert sorted(files.created) == sorted((files.original_name, files.display_name))
    assert len(stored_files(media)) == 2
    assert not Photo.objects.exists()
    photo = services.save_prepared_photo(prepared, files)
    assert (photo.blob.storage_name, photo.display_name) == (
        files.original_name,
        files.display_name,
    )
    again = services.write_photo_files(prepared)  # the same bytes: stored already
    assert again.created == ()
    assert again.blob == photo.blob
    assert len(stored_files(media)) == 2


def test_files_of_rows_that_cannot_be_written_are_removed(
    officer_a: Officer, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = _prepare(officer_a, image_bytes())
    files = services.write_photo_files(prepared)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ValidationFailed("照片信息不符合要求")

    monkeypatch.setattr(services, "_full_clean", refuse)
    with pytest.raises(ValidationFailed):
        services.save_prepared_photo(prepared, files)
    assert stored_files(media) == []
