"""What parking does with the owner SMS's delivery report (`parking.receipts`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from smartduty.cases.models import CaseTransition
from smartduty.notifications import receipts
from smartduty.notifications.models import Delivery
from smartduty.org.models import Officer
from smartduty.parking import receipts as parking_receipts
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.parking.states import SUBJECT, Status
from tests.factories.parking import report_in

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _owner_sms(report: ParkingReport) -> Delivery:
    sms = Delivery.objects.get(subject_type=SUBJECT, subject_id=str(report.pk), channel="sms")
    Delivery.objects.filter(pk=sms.pk).update(
        provider="tencent_sms", status="sent", provider_message_id=f"sid-{report.pk}"
    )
    return sms


def _report(report: ParkingReport, **changes: Any) -> None:
    row = {
        "user_receive_time": "2026-03-02 09:31:00",
        "nationcode": "86",
        "mobile": "13800138000",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": f"sid-{report.pk}",
        **changes,
    }
    receipts.record_reports(receipts.parse_tencent([row]))


def _pushes(report: ParkingReport) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            subject_type=SUBJECT, subject_id=str(report.pk), channel="app_push"
        ).exclude(params__title="违停待复查")
    )


def test_undelivered_while_waiting_tells_the_officer_once(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    _owner_sms(report)
    for _ in range(2):
        _report(report, report_status="FAIL", errmsg="MK:0005", description="用户关机")
    pushes = _pushes(report)
    assert len(pushes) == 1
    push = pushes[0]
    assert push.params["title"] == "短信未送达车主"
    assert "用户关机" in push.params["body"]
    assert "可直接张贴提示单" in push.params["body"]
    assert push.recipient_masked  # addressed to the reporting officer
    notes = ParkingTransition.objects.filter(report=report, action="sms_undelivered")
    assert notes.count() == 1
    note = notes.get()
    assert (note.from_status, note.to_status, note.actor_name) == (
        Status.AWAITING_MOVE,
        Status.AWAITING_MOVE,
        "系统",
    )
    assert "用户关机" in note.reason
    assert "09:31" in note.reason
    report.refresh_from_db()
    assert report.status == Status.AWAITING_MOVE
    if report.case_id is not None:
        assert CaseTransition.objects.filter(case_id=report.case_id, action="sms_undelivered")


def test_the_push_goes_to_the_reporting_officers_inbox(officer_a: Officer) -> None:
    from smartduty.notifications.selectors import list_app_notifications  # noqa: PLC0415

    report = report_in(Status.AWAITING_MOVE, officer_a)
    _owner_sms(report)
    _report(report, report_status="FAIL", errmsg="MK:0001", description="空号")
    inbox = list(list_app_notifications(officer_public_id=officer_a.public_id))
    assert [d.params["title"] for d in inbox] == ["短信未送达车主"]


def test_undelivered_after_the_window_is_a_note_without_a_push(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_RECHECK, officer_a)
    _owner_sms(report)
    _report(report, report_status="FAIL", errmsg="MK:0001", description="空号")
    assert _pushes(report) == []
    assert ParkingTransition.objects.filter(report=report, action="sms_undelivered").exists()


def test_delivered_is_a_timeline_note(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    _owner_sms(report)
    _report(report)
    note = ParkingTransition.objects.get(report=report, action="sms_delivered")
    assert "短信已送达" in note.reason
    assert _pushes(report) == []


def test_hostile_vendor_text_is_cleaned_and_cut(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    _owner_sms(report)
    _report(report, report_status="FAIL", errmsg="E\u202e1", description=HOSTILE + "【x】${y}")
    push = _pushes(report)[0]
    assert len(push.params["body"]) <= 35
    assert "【" not in push.params["body"]
    note = ParkingTransition.objects.get(report=report, action="sms_undelivered")
    assert "\u202e" not in note.reason


def test_the_report_output_carries_the_sms_state_as_text(
    officer_a: Officer, api_client: Any
) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    _owner_sms(report)
    client: Client = api_client(officer_a)
    before = client.get(f"/api/v1/parking-reports/{report.public_id}").json()["owner_sms"]
    assert before["status"] == "sent"
    assert before["receipt_label"] == "等待回执"
    _report(report, report_status="FAIL", errmsg="MK:0005", description=HOSTILE)
    one = client.get(f"/api/v1/parking-reports/{report.public_id}")
    assert one["Content-Type"].startswith("application/json")
    sms = one.json()["owner_sms"]
    assert sms["receipt_status"] == "undelivered"
    assert sms["receipt_label"] == "未送达"
    assert sms["receipt_reason"] == HOSTILE[:200]
    assert sms["receipt_code"] == "MK:0005"
    assert sms["receipt_at"].startswith("2026-03-02T")
    listed = client.get("/api/v1/parking-reports").json()
    assert [r["owner_sms"]["receipt_status"] for r in listed] == ["undelivered"]
    timeline = client.get(f"/api/v1/parking-reports/{report.public_id}/timeline").json()
    assert timeline[-1]["action"] == "sms_undelivered"
    assert timeline[-1]["to_status_label"] == "待挪车"


def test_a_report_without_sms_has_none(officer_a: Officer, api_client: Any) -> None:
    report = report_in(Status.OWNER_UNKNOWN, officer_a)
    client: Client = api_client(officer_a)
    assert client.get(f"/api/v1/parking-reports/{report.public_id}").json()["owner_sms"] is None


def test_other_deliveries_are_left_alone(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    sms = _owner_sms(report)
    Delivery.objects.filter(pk=sms.pk).update(subject_type="cases.case")
    sms.refresh_from_db()
    parking_receipts.on_undelivered(Delivery, delivery=sms)
    assert not ParkingTransition.objects.filter(action="sms_undelivered").exists()


def test_push_body_fits_the_template() -> None:
    body = parking_receipts.push_body("鲁PA12345", "非常长的原因" * 10)
    assert len(body) <= 35
    assert body.endswith("可直接张贴提示单")
    assert (
        parking_receipts.reason_of(Delivery(receipt_code="", receipt_description="")) == "未知原因"
    )


def test_an_undelivered_sms_lets_the_officer_post_the_notice_before_the_window_ends(
    officer_a: Officer, api_client: Any
) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    _owner_sms(report)
    client: Client = api_client(officer_a)
    url = f"/api/v1/parking-reports/{report.public_id}"
    shown = client.get(url).json()
    assert "post_notice" not in shown["allowed_actions"]
    # the window runs and nothing says the SMS failed: refused, nothing changes
    early = client.post(f"{url}/notice", {"version": shown["version"]}, "application/json")
    assert early.status_code == 409
    assert "短信未被报告为未送达" in early.json()["message"]
    report.refresh_from_db()
    assert report.status == Status.AWAITING_MOVE
    assert not ParkingTransition.objects.filter(report=report, action="post_notice").exists()
    # the vendor reports it undelivered: the officer may post at once
    _report(report, report_status="FAIL", errmsg="MK:0005", description="用户关机")
    shown = client.get(url).json()
    assert "post_notice" in shown["allowed_actions"]
    posted = client.post(f"{url}/notice", {"version": shown["version"]}, "application/json")
    assert posted.status_code == 200, posted.content
    assert posted.json()["status"] == Status.NOTICE_POSTED
    step = ParkingTransition.objects.get(report=report, action="post_notice")
    assert step.reason == "短信未送达车主，直接开具提示单"
