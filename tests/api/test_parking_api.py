"""The core loop through the API: report → SMS → deadline → re-check → notice → close → counters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.notifications.models import Delivery
from smartduty.notifications.templates import sms_segments
from smartduty.org.models import Officer
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status
from smartduty.recognition.providers.stub import StubRecognizer
from smartduty.recognition.selectors import use_recognizer
from tests.factories.org import City
from tests.factories.parking import OWNER_PHONE, jpeg_bytes, make_report, register_owner
from tests.pdf import text as pdf_text

pytestmark = pytest.mark.django_db


def _photo(
    name: str = "scene.jpg", color: tuple[int, int, int] = (90, 100, 110)
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(color), content_type="image/jpeg")


def _create(client: Client, **fields: object) -> dict:  # type: ignore[type-arg]
    resp = client.post("/api/v1/parking-reports", {"file": _photo(), **fields})
    assert resp.status_code in (200, 201), resp.content
    return resp.json()  # type: ignore[no-any-return]


def test_full_loop(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    body = _create(
        client, plate_read="鲁PA12345", place="人民路88号新华书店门前", lat=36.45, lon=115.98
    )
    assert body["status"] == "reported"
    rid = body["public_id"]
    confirm = client.post(
        f"/api/v1/parking-reports/{rid}/plate",
        {"plate": "鲁pa12345"},
        content_type="application/json",
    )
    assert confirm.status_code == 200, confirm.content
    body = confirm.json()
    assert body["status"] == "awaiting_move"
    assert body["is_plate_edited"] is False
    assert 595 <= body["seconds_left"] <= 600

    sms = Delivery.objects.get(channel="sms")
    assert sms.recipient_masked == "138****1234"
    assert OWNER_PHONE not in sms.rendered_text
    assert len(sms.rendered_text) <= 70
    assert sms_segments(sms.rendered_text) == 1
    assert "鲁PA12345" in sms.rendered_text
    assert "非罚单" in sms.rendered_text
    assert "/o/" in sms.rendered_text
    timer = Timer.objects.get(kind="parking.move_deadline")
    assert timer.status == TimerStatus.PENDING

    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        fired = timers.fire_next_due()
    assert fired is not None
    report = client.get(f"/api/v1/parking-reports/{rid}").json()
    assert report["status"] == "awaiting_recheck"
    assert Delivery.objects.filter(channel="app_push").count() == 1

    recheck = client.post(
        f"/api/v1/parking-reports/{rid}/recheck",
        {
            "file": _photo("recheck.jpg", (20, 30, 40)),
            "outcome": "still_there",
            "plate_read": "鲁PA12345",
            "lat": 36.4501,
            "lon": 115.9801,
        },
    )
    assert recheck.status_code == 200, recheck.content
    body = recheck.json()
    assert body["status"] == "notice_posted"
    assert body["recheck_warnings"] == []
    assert body["recheck_distance_m"] < 20
    number = body["notice_number"]
    assert number.startswith("990001-")

    for layout in ("a6", "thermal80"):
        pdf = client.get(f"/api/v1/parking-reports/{rid}/notice.pdf?layout={layout}")
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        if layout == "a6":
            text = pdf_text(pdf.content)
            assert "文明停车提示单" in text
            assert "鲁PA12345" in text
            assert number in text

    close = client.post(
        f"/api/v1/parking-reports/{rid}/notice-photo", {"file": _photo("posted.jpg", (200, 10, 10))}
    )
    assert close.status_code == 200, close.content
    assert close.json()["status"] == "closed"

    steps = client.get(f"/api/v1/parking-reports/{rid}/timeline").json()
    assert [s["to_status"] for s in steps] == [
        "reported",
        "awaiting_move",
        "awaiting_recheck",
        "notice_posted",
        "closed",
    ]
    assert steps[2]["actor"] == "系统"

    stats = client.get("/api/v1/stats/parking").json()
    assert stats["total"]["reports"] == 1
    assert stats["total"]["notices"] == 1
    assert stats["total"]["moved"] == 0
    assert stats["total"]["compliance_rate"] == 0.0


def test_moved_in_time_cancels_deadline_and_counts(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    body = _create(client, plate="鲁PA12345", place="人民路")
    assert body["status"] == "awaiting_move"
    assert body["is_plate_edited"] is True  # typed by the officer, no reading
    with time_machine.travel(timezone.now() + timedelta(seconds=120), tick=False):
        resp = client.post(
            f"/api/v1/parking-reports/{body['public_id']}/transitions",
            {"action": "confirm_moved", "version": body["version"]},
            content_type="application/json",
        )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "moved"
    assert Timer.objects.get(kind="parking.move_deadline").status == TimerStatus.CANCELLED
    with time_machine.travel(timezone.now() + timedelta(seconds=700), tick=False):
        assert timers.fire_next_due() is None
    stats = client.get("/api/v1/stats/parking").json()["total"]
    assert (stats["moved"], stats["notices"], stats["compliance_rate"]) == (1, 0, 1.0)
    assert 119 <= stats["median_seconds_to_move"] <= 121


def test_duplicate_gets_no_second_sms(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    first = _create(client, plate="鲁PA12345")
    second = _create(client, plate="鲁PA12345")
    assert second["status"] == "duplicate"
    assert second["duplicate_of"] == first["public_id"]
    assert Delivery.objects.filter(channel="sms").count() == 1
    assert Timer.objects.filter(kind="parking.move_deadline").count() == 1


def test_duplicate_window_expires(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    _create(client, plate="鲁PA12345")
    with time_machine.travel(timezone.now() + timedelta(seconds=1801), tick=False):
        later = _create(client, plate="鲁PA12345")
    assert later["status"] == "awaiting_move"
    assert Delivery.objects.filter(channel="sms").count() == 2


def test_owner_unknown_posts_notice_directly(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(officer_a)
    body = _create(client, plate="鲁PZZ999")
    assert body["status"] == "owner_unknown"
    assert not Delivery.objects.exists()
    resp = client.post(
        f"/api/v1/parking-reports/{body['public_id']}/notice", {}, content_type="application/json"
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "notice_posted"
    assert resp.json()["notice_number"]


def test_idempotency_key_returns_first_report(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    a = client.post(
        "/api/v1/parking-reports",
        {"file": _photo(), "plate": "鲁PA12345", "idempotency_key": "offline-0001"},
    )
    b = client.post(
        "/api/v1/parking-reports",
        {"file": _photo(), "plate": "鲁PA12345", "idempotency_key": "offline-0001"},
    )
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["public_id"] == b.json()["public_id"]
    assert ParkingReport.objects.count() == 1
    assert Delivery.objects.filter(channel="sms").count() == 1


def test_void_needs_squad_leader(officer_a: Officer, leader_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    body = _create(api_client(officer_a), plate="鲁PA12345")
    url = f"/api/v1/parking-reports/{body['public_id']}/transitions"
    denied = api_client(officer_a).post(
        url, {"action": "void", "reason": "拍错车辆"}, content_type="application/json"
    )
    assert denied.status_code == 403
    assert "中队长" in denied.json()["message"]
    no_reason = api_client(leader_a).post(url, {"action": "void"}, content_type="application/json")
    assert no_reason.status_code == 422
    ok = api_client(leader_a).post(
        url, {"action": "void", "reason": "拍错车辆"}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "void"
    assert Timer.objects.get(kind="parking.move_deadline").status == TimerStatus.CANCELLED


def test_bad_requests_change_nothing(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    bad_plate = client.post("/api/v1/parking-reports", {"file": _photo(), "plate": "鲁PI2345"})
    assert bad_plate.status_code == 422
    assert "I" in bad_plate.json()["message"]
    not_image = client.post(
        "/api/v1/parking-reports",
        {"file": SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")},
    )
    assert not_image.status_code == 422
    assert ParkingReport.objects.count() == 0
    body = _create(client, plate="鲁PA12345")
    url = f"/api/v1/parking-reports/{body['public_id']}"
    system = client.post(
        url + "/transitions", {"action": "deadline_lapsed"}, content_type="application/json"
    )
    assert system.status_code == 422
    stale = client.post(
        url + "/transitions",
        {"action": "confirm_moved", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    wrong = client.post(url + "/recheck", {"file": _photo(), "outcome": "maybe"})
    assert wrong.status_code == 422
    early = client.post(url + "/recheck", {"file": _photo(), "outcome": "still_there"})
    assert early.status_code == 409
    assert client.get(url).json()["status"] == "awaiting_move"
    assert client.get(url + "/notice.pdf").status_code == 404


def test_recheck_warns_on_mismatch(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    body = _create(client, plate="鲁PA12345", lat=36.45, lon=115.98)
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        timers.fire_next_due()
    resp = client.post(
        f"/api/v1/parking-reports/{body['public_id']}/recheck",
        {
            "file": _photo(),
            "outcome": "still_there",
            "plate_read": "鲁PA12346",
            "lat": 36.46,
            "lon": 115.98,
        },
    )
    warnings = resp.json()["recheck_warnings"]
    assert len(warnings) == 2
    assert "不一致" in warnings[1]
    assert "米" in warnings[0]


def test_recheck_gone_counts_as_moved(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    body = _create(client, plate="鲁PA12345")
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        timers.fire_next_due()
    resp = client.post(
        f"/api/v1/parking-reports/{body['public_id']}/recheck",
        {"file": _photo(), "outcome": "gone"},
    )
    assert resp.json()["status"] == "moved"


def test_out_of_scope_is_404(
    city: City, officer_a: Officer, officer_b: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    body = _create(api_client(officer_a), plate="鲁PA12345")
    other: Client = api_client(officer_b)
    assert other.get(f"/api/v1/parking-reports/{body['public_id']}").status_code == 404
    assert other.get("/api/v1/parking-reports").json() == []
    assert other.get("/api/v1/stats/parking").json()["total"]["reports"] == 0


def test_status_enum_is_constrained_in_db(officer_a: Officer) -> None:
    register_owner(officer_a)
    report = make_report(officer_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ParkingReport.objects.filter(pk=report.pk).update(status="bogus")
    assert Status(ParkingReport.objects.get(pk=report.pk).status) == Status.REPORTED


def test_place_corrected_at_confirm_and_capture_time_checked(
    officer_a: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    taken = timezone.now() - timedelta(minutes=30)
    body = _create(client, place="东区", captured_at=taken.isoformat())
    assert body["captured_at"] is not None
    resp = client.post(
        f"/api/v1/parking-reports/{body['public_id']}/plate",
        {"plate": "鲁PA12345", "place": "建设路12号"},
        content_type="application/json",
    )
    assert resp.json()["place"] == "建设路12号"
    assert "建设路12号" in Delivery.objects.get(channel="sms").rendered_text
    future = client.post(
        "/api/v1/parking-reports",
        {"file": _photo(), "captured_at": (timezone.now() + timedelta(hours=1)).isoformat()},
    )
    assert future.status_code == 422
    stale = client.post(
        "/api/v1/parking-reports",
        {"file": _photo(), "captured_at": (timezone.now() - timedelta(days=2)).isoformat()},
    )
    assert stale.status_code == 422
    assert "24 小时" in stale.json()["message"]
    assert ParkingReport.objects.count() == 1


@override_settings(PARKING_RECOGNIZE_ON_UPLOAD=True)
def test_upload_without_plate_shows_the_reading(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    client: Client = api_client(officer_a)
    with use_recognizer(StubRecognizer("鲁PA12345", confidence=0.97)):
        body = _create(client, place="人民路")
    assert body["status"] == "reported"
    assert (body["plate_read"], body["plate_confidence"]) == ("鲁PA12345", 0.97)
    assert not Delivery.objects.exists()  # nothing is sent until the officer confirms
    confirm = client.post(
        f"/api/v1/parking-reports/{body['public_id']}/plate",
        {"plate": body["plate_read"]},
        content_type="application/json",
    )
    assert confirm.json()["is_plate_edited"] is False
    with use_recognizer(StubRecognizer(None)):
        empty = _create(client, place="人民路")
    assert empty["plate_read"] == ""


@pytest.mark.django_db(transaction=True)  # no test transaction: see what the service opens
def test_photo_work_happens_before_the_report_transaction(
    officer_a: Officer, api_client, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """On SQLite the report's transaction holds the database's one write lock: decoding and
    watermarking must not run inside it."""
    from django.db import connection  # noqa: PLC0415

    from smartduty.evidence import watermark  # noqa: PLC0415

    inside: list[bool] = []
    render = watermark.render_display_copy

    def spying(*args: object, **kwargs: object) -> bytes:
        inside.append(connection.in_atomic_block)
        return render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(watermark, "render_display_copy", spying)
    register_owner(officer_a)
    body = _create(api_client(officer_a), plate="鲁PA12345")
    assert body["status"] == "awaiting_move"
    assert inside == [False]


def test_a_raced_idempotency_key_returns_the_first_report(
    officer_a: Officer, api_client, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Two tries of one offline report both pass the look-up; the database keeps one."""
    from smartduty.parking import services  # noqa: PLC0415

    register_owner(officer_a)
    client: Client = api_client(officer_a)
    fields = {"plate": "鲁PA12345", "idempotency_key": "offline-race-01"}
    first = client.post("/api/v1/parking-reports", {"file": _photo(), **fields})
    assert first.status_code == 201
    lookups: list[str] = []
    real_lookup = services.find_report_by_idempotency_key

    def late_lookup(*, key: str) -> ParkingReport | None:
        lookups.append(key)
        return None if len(lookups) == 1 else real_lookup(key=key)  # the first look misses

    monkeypatch.setattr(services, "find_report_by_idempotency_key", late_lookup)
    second = client.post("/api/v1/parking-reports", {"file": _photo(), **fields})
    assert second.status_code == 200, second.content
    assert second.json()["public_id"] == first.json()["public_id"]
    assert len(lookups) == 2
    assert ParkingReport.objects.count() == 1
    assert Delivery.objects.filter(channel="sms").count() == 1


def test_the_report_shows_its_case_number(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    """The report is a case of 违法停车 on the case core; the API gives its number."""
    from smartduty.cases.models import Case  # noqa: PLC0415

    client: Client = api_client(officer_a)
    body = _create(client, idempotency_key="case-number-01")
    case = Case.objects.get()
    assert body["case_number"] == case.number
    assert case.number.startswith("AJ-990001-")
    again = _create(client, idempotency_key="case-number-01")
    assert again["case_number"] == case.number
    listed = client.get("/api/v1/parking-reports").json()
    assert listed[0]["case_number"] == case.number
