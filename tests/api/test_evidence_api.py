"""Evidence API: upload, read, display and original; rejections, integrity and scoping."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from smartduty.evidence.models import Blob, Photo
from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer
from tests.factories.evidence import (
    camera_exif,
    huge_png,
    image_bytes,
    isolated_storage,
    oversized_bytes,
    stored_files,
    truncated_jpeg,
)
from tests.factories.org import City

pytestmark = pytest.mark.django_db

ClientFor = Callable[[Officer], Client]
URL = "/api/v1/photos"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """An empty `default_storage` root for this test."""
    return isolated_storage(settings, tmp_path / "media")


def _upload(client: Client, city: City, data: bytes, name: str = "scene.jpg", **form: Any) -> Any:
    body = {
        "file": SimpleUploadedFile(name, data, content_type="image/jpeg"),
        "district_id": str(form.pop("district", city.district_a).public_id),
        **form,
    }
    return client.post(URL, body)


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("HEIF", "image/heic")],
)
def test_upload_and_fetch(
    *, city: City, officer_a: Officer, api_client: ClientFor, media: Path, fmt: str, mime: str
) -> None:
    client = api_client(officer_a)
    data = image_bytes(fmt, exif=camera_exif())
    resp = _upload(
        client,
        city,
        data,
        name="IMG_0001.jpg",
        client_lat="31.2304",
        client_lon="121.4737",
        client_accuracy_m="6",
        place="人民路 88 号",
        kind="scene",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    sha = hashlib.sha256(data).hexdigest()
    assert body["sha256"] == sha
    assert (body["mime"], body["size"], body["width"], body["height"]) == (
        mime,
        len(data),
        640,
        480,
    )
    assert body["device_taken_at"] == "2026-11-29T10:30:05Z"
    assert body["exif_lat"] == pytest.approx(31.230417, abs=1e-6)
    assert body["exif_lon"] == pytest.approx(121.473667, abs=1e-6)
    assert (body["client_lat"], body["client_lon"], body["client_accuracy_m"]) == (
        31.2304,
        121.4737,
        6.0,
    )
    assert body["place"] == "人民路 88 号"
    assert body["uploaded_by"] == officer_a.badge_number
    assert body["district_id"] == str(city.district_a.public_id)
    assert body["received_at"]

    stored = Blob.objects.get().storage_name
    assert sha in stored
    assert (media / stored).read_bytes() == data

    original = client.get(body["original_url"])
    assert original.status_code == 200
    assert original["Content-Type"] == mime
    assert original["X-Content-SHA256"] == sha
    assert b"".join(original.streaming_content) == data  # type: ignore[attr-defined]

    display = client.get(body["display_url"])
    assert display.status_code == 200
    assert display["Content-Type"] == "image/jpeg"
    display_bytes = b"".join(display.streaming_content)  # type: ignore[attr-defined]
    assert display_bytes != data
    assert Image.open(io.BytesIO(display_bytes)).format == "JPEG"

    again = client.get(f"{URL}/{body['public_id']}")
    assert again.status_code == 200
    assert again.json() == body


def test_big_upload_gets_bounded_display(
    city: City, officer_a: Officer, api_client: ClientFor
) -> None:
    client = api_client(officer_a)
    resp = _upload(client, city, image_bytes(size=(5000, 2500), noise=True))
    assert resp.status_code == 201
    display = client.get(resp.json()["display_url"])
    img = Image.open(io.BytesIO(b"".join(display.streaming_content)))  # type: ignore[attr-defined]
    assert img.size == (2048, 1024)


@pytest.mark.parametrize(
    ("data", "name", "status", "code", "message"),
    [
        (truncated_jpeg(), "x.jpg", 422, "validation_failed", "照片文件已损坏，无法解码"),
        (
            b"this is a text file, not a photo\n" * 20,
            "x.jpg",
            422,
            "validation_failed",
            "不支持的文件格式，请上传 JPEG、PNG、WebP 或 HEIC 照片",
        ),
        (
            oversized_bytes(30),
            "big.jpg",
            413,
            "payload_too_large",
            "照片大小 30.0 MB 超过上限 20 MB，请压缩后再上传",
        ),
        (
            huge_png(),
            "huge.png",
            413,
            "payload_too_large",
            "照片像素数约 10000 万，超过上限 5000 万像素，请降低分辨率后再上传",
        ),
    ],
    ids=["truncated", "text-as-jpg", "30MB", "100MP"],
)
def test_rejections_leave_nothing(
    *,
    city: City,
    officer_a: Officer,
    api_client: ClientFor,
    media: Path,
    data: bytes,
    name: str,
    status: int,
    code: str,
    message: str,
) -> None:
    resp = _upload(api_client(officer_a), city, data, name=name)
    assert resp.status_code == status
    assert resp.json() == {"code": code, "message": message}
    assert Blob.objects.count() == 0
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({"client_lat": "95", "client_lon": "120"}, "纬度须在 -90 到 90 之间"),
        ({"client_lat": "30", "client_lon": "200"}, "经度须在 -180 到 180 之间"),
        ({"client_lat": "30", "client_lon": "120", "client_accuracy_m": "-3"}, "定位精度"),
        ({"kind": "selfie"}, "kind"),
        ({"client_lat": "north"}, "client_lat"),
    ],
)
def test_bad_form_fields_are_422(
    *,
    city: City,
    officer_a: Officer,
    api_client: ClientFor,
    media: Path,
    form: dict[str, str],
    fragment: str,
) -> None:
    resp = _upload(api_client(officer_a), city, image_bytes(), **form)
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_failed"
    assert fragment in resp.json()["message"]
    assert stored_files(media) == []


def test_missing_file_is_422(city: City, officer_a: Officer, api_client: ClientFor) -> None:
    resp = api_client(officer_a).post(URL, {"district_id": str(city.district_a.public_id)})
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_failed"


def test_tampered_original_is_409_and_audited(
    city: City, officer_a: Officer, api_client: ClientFor
) -> None:
    client = api_client(officer_a)
    body = _upload(client, city, image_bytes()).json()
    name = Blob.objects.get().storage_name
    with default_storage.open(name, "wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0 edited")
    resp = client.get(body["original_url"])
    assert resp.status_code == 409
    assert resp.json() == {
        "code": "evidence_integrity_failed",
        "message": "证据原件校验失败：文件内容与登记的 SHA-256 不一致，可能已被篡改",
    }
    entry = AuditEntry.objects.get(action="evidence.integrity_failed")
    assert entry.object_id == body["public_id"]
    assert entry.actor == officer_a.user
    assert entry.district_path == city.district_a.path
    assert client.get(body["display_url"]).status_code == 200


def test_scoping(
    *,
    city: City,
    officer_a: Officer,
    officer_b: Officer,
    commander: Officer,
    api_client: ClientFor,
    media: Path,
) -> None:
    body = _upload(api_client(officer_a), city, image_bytes()).json()
    other = api_client(officer_b)
    for url in (f"{URL}/{body['public_id']}", body["display_url"], body["original_url"]):
        resp = other.get(url)
        assert resp.status_code == 404, url
        assert resp.json()["code"] == "not_found"
        assert api_client(commander).get(url).status_code == 200
    files_before = stored_files(media)
    resp = _upload(other, city, image_bytes(color=(1, 2, 3)), district=city.district_a)
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert Photo.objects.count() == 1
    assert stored_files(media) == files_before
    assert _upload(other, city, image_bytes(), district=city.district_b).status_code == 201


def test_unauthenticated_is_401(city: City, officer_a: Officer, api_client: ClientFor) -> None:
    body = _upload(api_client(officer_a), city, image_bytes()).json()
    anonymous = Client()
    for url in (f"{URL}/{body['public_id']}", body["display_url"], body["original_url"]):
        resp = anonymous.get(url)
        assert resp.status_code == 401
        assert resp.json()["code"] == "not_authenticated"
    resp = _upload(anonymous, city, image_bytes())
    assert resp.status_code == 401
    assert Photo.objects.count() == 1


def test_unknown_photo_is_404(officer_a: Officer, api_client: ClientFor) -> None:
    resp = api_client(officer_a).get(f"{URL}/00000000-0000-0000-0000-000000000000/original")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
