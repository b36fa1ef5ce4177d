"""The order of a parking report's upload (issue 19): who and which report first, then the
limits, then one decode shared by the plate reader and the evidence copy, then the owner
look-up, then one short write transaction.

Spies stand in for the ports and count the expensive steps: `check_upload` (the limits),
`imaging.open_image` (the one decode), the engine's own decoders, the reader and the owner
look-up. A refused request leaves no row and never reaches the reader.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from PIL import Image

from smartduty.evidence import imaging
from smartduty.evidence import services as evidence
from smartduty.evidence.models import Photo
from smartduty.kernel.errors import NotFound
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from smartduty.parking import services
from smartduty.parking.models import ParkingReport
from smartduty.recognition import selectors
from smartduty.recognition.engine import pipeline
from smartduty.recognition.ports import ImageInput, Recognition
from smartduty.recognition.providers.stub import StubRecognizer
from smartduty.recognition.services import RecognitionUnavailable
from smartduty.vehicles.ports import OwnerContact
from smartduty.vehicles.providers.memory import InMemoryOwnerLookup
from tests.factories.evidence import isolated_storage
from tests.factories.org import City
from tests.factories.parking import OWNER_PHONE, jpeg_bytes, register_owner

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]
REPORTS = "/api/v1/parking-reports"
PLATE = "鲁PA12345"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    return isolated_storage(settings, tmp_path / "media")


@dataclass
class Spies:
    """Counts of the expensive steps of one or more uploads."""

    checks: list[int] = field(default_factory=list)
    decodes: list[tuple[int, int]] = field(default_factory=list)
    engine_decodes: list[str] = field(default_factory=list)
    images: list[ImageInput] = field(default_factory=list)

    @property
    def reads(self) -> int:
        return len(self.images)


class RecordingRecognizer(StubRecognizer):
    """The stub's answer, keeping every image it was given."""

    def __init__(self, spies: Spies, plate: str | None = PLATE) -> None:
        super().__init__(plate, confidence=0.97)
        self.spies = spies

    def recognize(self, image: ImageInput) -> Recognition:
        self.spies.images.append(image)
        return super().recognize(image)


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spies]:
    """Spy on the limits, the one decode, the engine's own decoders, and the reader."""
    found = Spies()
    check, open_image = evidence.check_upload, imaging.open_image

    def checking(data: Any) -> evidence.CheckedUpload:
        found.checks.append(1)
        return check(data)

    def opening(*args: Any, **kwargs: Any) -> imaging.OpenedImage:
        opened = open_image(*args, **kwargs)
        found.decodes.append(opened.size)
        return opened

    def engine_decoder(name: str) -> Callable[..., Any]:
        def called(*args: Any, **kwargs: Any) -> Any:
            found.engine_decodes.append(name)
            raise AssertionError(f"{name} decoded the photo a second time")

        return called

    monkeypatch.setattr(evidence, "check_upload", checking)
    monkeypatch.setattr(imaging, "open_image", opening)
    monkeypatch.setattr(pipeline, "decode_photo", engine_decoder("engine decode_photo"))
    monkeypatch.setattr(cv2, "imdecode", engine_decoder("cv2.imdecode"))
    with selectors.use_recognizer(RecordingRecognizer(found)):
        yield found


def _photo(data: bytes | None = None, name: str = "scene.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or jpeg_bytes(size=(1600, 1200)), "image/jpeg")


def _post(client: Client, **fields: object) -> Any:
    return client.post(REPORTS, {"file": _photo(), **fields})


def _solid_png(width: int, height: int) -> bytes:
    """A real grey PNG, tiny in bytes however many pixels its header declares."""
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(b"\x00" * (width + 1)) for _ in range(height))
    idat += packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# (1) who, where and which report: nothing of the photo is read before these pass


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_without_the_permission_the_photo_is_never_read(
    officer_a: Officer, api_client: ApiClient, spies: Spies
) -> None:
    officer_a.user.groups.clear()
    resp = _post(api_client(officer_a))
    assert resp.status_code == 403, resp.content
    assert "权限" in resp.json()["message"]
    assert (spies.checks, spies.decodes, spies.reads) == ([], [], 0)
    assert not Photo.objects.exists()


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_a_district_out_of_scope_is_404_before_the_photo_is_read(
    city: City, officer_a: Officer, api_client: ApiClient, spies: Spies
) -> None:
    resp = _post(api_client(officer_a), district_id=str(city.district_b.public_id))
    assert resp.status_code == 404, resp.content
    assert resp.json()["message"]
    assert (spies.checks, spies.decodes, spies.reads) == ([], [], 0)


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_the_service_checks_the_scope_itself_before_the_photo(
    city: City, officer_a: Officer, spies: Spies
) -> None:
    with pytest.raises(NotFound):
        services.report_illegal_parking(
            principal=principal_for_user(officer_a.user),
            officer=officer_a,
            district=city.district_b,
            photo=jpeg_bytes(),
            filename="scene.jpg",
        )
    assert (spies.checks, spies.decodes, spies.reads) == ([], [], 0)


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_a_retried_upload_returns_the_first_report_without_reading_the_photo_again(
    officer_a: Officer, api_client: ApiClient, spies: Spies
) -> None:
    client = api_client(officer_a)
    first = _post(client, idempotency_key="offline-order-01")
    again = _post(client, idempotency_key="offline-order-01")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.json()["plate_read"] == PLATE
    assert (len(spies.checks), len(spies.decodes), spies.reads) == (1, 1, 1)
    assert ParkingReport.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lat": "36.45"}, "终端定位需同时提供纬度和经度"),
        ({"plate": "ABC"}, "车牌"),
    ],
    ids=["lat-without-lon", "bad-plate"],
)
@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_bad_fields_are_422_before_the_limits_and_the_decode(
    officer_a: Officer,
    api_client: ApiClient,
    spies: Spies,
    fields: dict[str, str],
    message: str,
) -> None:
    resp = _post(api_client(officer_a), **fields)
    assert resp.status_code == 422, resp.content
    assert message in resp.json()["message"]
    assert (spies.checks, spies.decodes, spies.reads) == ([], [], 0)
    assert not ParkingReport.objects.exists()
    assert not Photo.objects.exists()


# (2) one place for the limits, the same answer from every upload


def _oversized() -> bytes:
    return jpeg_bytes(size=(1600, 1200)) + b"\x00" * 60_000


@pytest.mark.parametrize(
    ("limits", "data", "message"),
    [
        (
            {"EVIDENCE_MAX_BYTES": 50_000},
            _oversized,
            "超过上限 0.0476837 MB，请压缩后再上传",
        ),
        (
            {"EVIDENCE_MAX_PIXELS": 1_000_000},
            lambda: _solid_png(2000, 1500),
            "照片像素数约 300 万，超过上限 100 万像素，请降低分辨率后再上传",
        ),
    ],
    ids=["bytes", "pixels"],
)
@pytest.mark.parametrize("endpoint", ["report", "photo", "plate-read"])
@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_every_upload_gets_the_same_413_from_the_one_limit(  # noqa: PLR0917 - parametrised
    city: City,
    officer_a: Officer,
    api_client: ApiClient,
    spies: Spies,
    limits: dict[str, int],
    data: Callable[[], bytes],
    message: str,
    endpoint: str,
) -> None:
    upload = _photo(data(), "big.png")
    url, form = {
        "report": (REPORTS, {}),
        "photo": ("/api/v1/photos", {"district_id": str(city.district_a.public_id)}),
        "plate-read": ("/api/v1/plates/read", {}),
    }[endpoint]
    with override_settings(**limits):
        resp = api_client(officer_a).post(url, {"file": upload, **form})
    assert resp.status_code == 413, resp.content
    assert resp.json()["code"] == "payload_too_large"
    assert message in resp.json()["message"]
    assert (spies.decodes, spies.reads) == ([], 0)
    assert not Photo.objects.exists()
    assert not ParkingReport.objects.exists()


# (3) one decode, its picture shared by the reader and the evidence copy


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_the_photo_is_decoded_once_for_the_reader_and_the_display_copy(
    officer_a: Officer, api_client: ApiClient, spies: Spies
) -> None:
    resp = _post(api_client(officer_a), place="人民路")
    assert resp.status_code == 201, resp.content
    assert (resp.json()["plate_read"], resp.json()["plate_confidence"]) == (PLATE, 0.97)
    assert len(spies.checks) == 1
    assert spies.decodes == [(1600, 1200)]
    assert spies.engine_decodes == []
    [image] = spies.images
    assert isinstance(image, np.ndarray)  # the decoded picture, not the file's bytes
    photo = ParkingReport.objects.get().photo
    with Image.open(io.BytesIO(evidence.open_display(photo=photo))) as display:
        assert image.shape == (display.height, display.width, 3)


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_the_reader_sees_the_picture_without_the_watermark(
    officer_a: Officer, api_client: ApiClient, spies: Spies
) -> None:
    red = jpeg_bytes(color=(220, 20, 20), size=(1200, 900))
    resp = api_client(officer_a).post(REPORTS, {"file": _photo(red)})
    assert resp.status_code == 201, resp.content
    [image] = spies.images
    assert isinstance(image, np.ndarray)
    bottom = image[-5:, :, :].reshape(-1, 3).mean(axis=0)  # where the dark bar is drawn
    blue, green, red_channel = bottom
    assert red_channel > 180  # BGR, as the port takes it
    assert max(green, blue) < 60


def test_a_confirmed_plate_skips_the_reader(
    officer_a: Officer, api_client: ApiClient, spies: Spies
) -> None:
    register_owner(officer_a)
    with override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True):
        resp = _post(api_client(officer_a), plate=PLATE)
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "awaiting_move"
    assert spies.reads == 0
    assert len(spies.decodes) == 1


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_a_reader_that_cannot_run_leaves_the_report_without_a_reading(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Busy(StubRecognizer):
        def recognize(self, image: ImageInput) -> Recognition:  # noqa: ARG002 - refuses all
            raise RecognitionUnavailable("车牌识别繁忙")

    with selectors.use_recognizer(Busy()):
        resp = _post(api_client(officer_a))
    assert resp.status_code == 201, resp.content
    assert (resp.json()["plate_read"], resp.json()["plate_confidence"]) == ("", None)


# (4)-(5) the owner look-up and the storage outside the one write transaction


class DepthLookup(InMemoryOwnerLookup):
    """The in-memory fake, recording how many atomic blocks were open at each look-up."""

    def __init__(self) -> None:
        super().__init__({PLATE: ("张三", OWNER_PHONE)})
        self.depths: list[int] = []

    def lookup(self, plate: str) -> OwnerContact | None:
        self.depths.append(len(connection.atomic_blocks))
        return super().lookup(plate)


def test_the_owner_is_looked_up_outside_the_report_transaction(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test itself runs in a transaction: the look-up must not add a level to it."""
    lookup = DepthLookup()
    monkeypatch.setattr(services, "get_owner_lookup", lambda: lookup)
    outside = len(connection.atomic_blocks)
    resp = _post(api_client(officer_a), plate=PLATE)
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "awaiting_move"
    assert lookup.calls == [PLATE]
    assert lookup.depths == [outside]


def test_confirming_a_plate_looks_the_owner_up_outside_the_transaction(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookup = DepthLookup()
    monkeypatch.setattr(services, "get_owner_lookup", lambda: lookup)
    client = api_client(officer_a)
    body = _post(client).json()
    outside = len(connection.atomic_blocks)
    resp = client.post(
        f"{REPORTS}/{body['public_id']}/plate", {"plate": PLATE}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "awaiting_move"
    assert lookup.depths == [outside]
    stale = client.post(
        f"{REPORTS}/{body['public_id']}/plate", {"plate": PLATE}, content_type="application/json"
    )
    assert stale.status_code == 409  # refused before a second look-up
    assert lookup.depths == [outside]


def test_the_photo_files_are_stored_before_the_report_transaction(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File storage may be a network call (S3): it runs before the write lock is taken."""
    depths: list[int] = []
    save = FileSystemStorage.save

    def saving(storage: FileSystemStorage, name: str, content: Any, **kwargs: Any) -> str:
        depths.append(len(connection.atomic_blocks))
        return save(storage, name, content, **kwargs)

    monkeypatch.setattr(FileSystemStorage, "save", saving)
    outside = len(connection.atomic_blocks)
    resp = _post(api_client(officer_a))
    assert resp.status_code == 201, resp.content
    assert depths == [outside, outside]  # the original and the display copy
    assert Photo.objects.count() == 1
