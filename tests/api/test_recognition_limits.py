"""Recognition is no amplifier: the evidence limits and the permission come before any decoding."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Callable

import cv2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from PIL import Image

from smartduty.evidence import imaging
from smartduty.org.models import Officer
from smartduty.parking.models import ParkingReport
from smartduty.recognition import selectors
from smartduty.recognition.engine import images
from smartduty.recognition.providers.stub import StubRecognizer

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]


def solid_png(width: int, height: int) -> bytes:
    """A valid one-colour PNG of `width`×`height` pixels that is tiny in bytes (the IDAT is
    deflated zeros: an 8000×8000 image is about 60 KB)."""
    raw_row = b"\x00" + b"\x00" * width  # filter byte + one grey byte per pixel
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(raw_row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


@pytest.fixture(scope="module")
def png_64mp() -> bytes:
    data = solid_png(8000, 8000)
    assert len(data) < 200_000
    with warnings.catch_warnings():  # a real PNG, as its header says (Pillow warns: a bomb)
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as img:
            assert img.size == (8000, 8000)
    return data


class NoDecoding:
    """Fails the test if anything decodes pixels (Pillow's load, OpenCV, the PNG fast path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []

        def forbid(name: str) -> Callable[..., object]:
            def called(*args: object, **kwargs: object) -> object:
                self.calls.append(name)
                raise AssertionError(f"{name} decoded pixels")

            return called

        monkeypatch.setattr(images, "decode_photo", forbid("recognition decode_photo"))
        monkeypatch.setattr(cv2, "imdecode", forbid("cv2.imdecode"))
        monkeypatch.setattr(Image.Image, "load", forbid("PIL.Image.load"))
        monkeypatch.setattr(imaging, "open_image", forbid("evidence open_image"))


def _upload(data: bytes, name: str = "big.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/png")


def test_plate_read_refuses_64_megapixels_from_the_header(
    officer_a: Officer, api_client: ApiClient, png_64mp: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = StubRecognizer("鲁PA12345")
    guard = NoDecoding(monkeypatch)
    with selectors.use_recognizer(stub):
        resp = api_client(officer_a).post("/api/v1/plates/read", {"file": _upload(png_64mp)})
    assert resp.status_code == 413, resp.content
    assert resp.json()["code"] == "payload_too_large"
    assert "万像素" in resp.json()["message"]
    assert stub.calls == []
    assert guard.calls == []


def test_reader_and_evidence_share_the_configured_pixel_limit(
    officer_a: Officer, api_client: ApiClient
) -> None:
    """The same `EVIDENCE_MAX_PIXELS` bounds both: 3 MP passes at 4 MP, fails at 2 MP."""
    data = solid_png(2000, 1500)
    stub = StubRecognizer("鲁PA12345")
    with selectors.use_recognizer(stub):
        with override_settings(EVIDENCE_MAX_PIXELS=4_000_000):
            ok = api_client(officer_a).post("/api/v1/plates/read", {"file": _upload(data)})
        with override_settings(EVIDENCE_MAX_PIXELS=2_000_000):
            refused = api_client(officer_a).post("/api/v1/plates/read", {"file": _upload(data)})
            report = api_client(officer_a).post("/api/v1/parking-reports", {"file": _upload(data)})
    assert ok.status_code == 200
    assert refused.status_code == 413
    assert report.status_code == 413
    assert len(stub.calls) == 1


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_report_without_plate_refuses_64_megapixels_before_recognition(
    officer_a: Officer, api_client: ApiClient, png_64mp: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = StubRecognizer("鲁PA12345")
    guard = NoDecoding(monkeypatch)
    with selectors.use_recognizer(stub):
        resp = api_client(officer_a).post(
            "/api/v1/parking-reports", {"file": _upload(png_64mp), "place": "人民路"}
        )
    assert resp.status_code == 413, resp.content
    assert resp.json()["code"] == "payload_too_large"
    assert stub.calls == []
    assert guard.calls == []
    assert not ParkingReport.objects.exists()


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_without_the_report_permission_it_is_403_before_recognition(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer_a.user.groups.clear()
    officer_a.user.user_permissions.clear()
    stub = StubRecognizer("鲁PA12345")
    guard = NoDecoding(monkeypatch)
    photo = solid_png(640, 480)
    with selectors.use_recognizer(stub):
        resp = api_client(officer_a).post("/api/v1/parking-reports", {"file": _upload(photo)})
    assert resp.status_code == 403, resp.content
    assert resp.json()["code"] == "permission_denied"
    assert stub.calls == []
    assert guard.calls == []


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_a_file_that_is_no_photo_is_422_before_recognition(
    officer_a: Officer, api_client: ApiClient
) -> None:
    stub = StubRecognizer("鲁PA12345")
    with selectors.use_recognizer(stub):
        resp = api_client(officer_a).post(
            "/api/v1/parking-reports", {"file": _upload(b"GIF89a not a photo", "x.gif")}
        )
    assert resp.status_code == 422
    assert stub.calls == []
