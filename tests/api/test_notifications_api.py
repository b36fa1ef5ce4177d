"""The officer app's inbox: pushes to my unit (违停待复查) and to me, newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from smartduty.org.models import Officer
from smartduty.parking.states import Status
from tests.factories.parking import report_in

pytestmark = pytest.mark.django_db


def test_recheck_push_reaches_the_reporting_unit(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    before = timezone.now() - timedelta(seconds=1)
    report_in(Status.AWAITING_RECHECK, officer_a, plate="鲁PA12345")
    client: Client = api_client(officer_a)
    rows = client.get("/api/v1/notifications/app").json()
    assert len(rows) == 1
    push = rows[0]
    assert push["title"] == "违停待复查"
    assert "鲁PA12345" in push["body"]
    assert push["text"]
    assert set(push) == {"public_id", "title", "body", "text", "status", "created_at"}

    since = client.get("/api/v1/notifications/app", {"since": before.isoformat()}).json()
    assert [r["public_id"] for r in since] == [push["public_id"]]
    later = (timezone.now() + timedelta(seconds=5)).isoformat()
    assert client.get("/api/v1/notifications/app", {"since": later}).json() == []


def test_other_unit_sees_none_of_them(officer_a: Officer, officer_b: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    report_in(Status.AWAITING_RECHECK, officer_a)
    assert api_client(officer_b).get("/api/v1/notifications/app").json() == []


def test_account_without_officer_gets_an_empty_inbox(city, api_client) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from smartduty.org import services  # noqa: PLC0415

    user = get_user_model().objects.create_user("plain", password="pass-1234")
    _, raw = services.issue_token(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/notifications/app").json() == []


def test_needs_login() -> None:
    assert Client().get("/api/v1/notifications/app").status_code == 401


@pytest.mark.parametrize("since", ["0", "0.5", "1733300000", "-1"])
def test_since_must_be_an_iso_time_not_a_number(officer_a: Officer, api_client, since: str) -> None:  # type: ignore[no-untyped-def]
    """The schema says `format: date-time`; a bare number (pydantic would read it as Unix
    seconds) is refused, not silently taken as 1970 (found by the API fuzzer)."""
    report_in(Status.AWAITING_RECHECK, officer_a)
    resp = api_client(officer_a).get("/api/v1/notifications/app", {"since": since})
    assert resp.status_code == 422, resp.content
    body = resp.json()
    assert body["code"] == "validation_failed"
    assert "since" in body["message"]
