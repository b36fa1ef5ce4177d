"""Policy edits through the API refuse what would break every later report, never 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from smartduty.notifications.ports import Channel
from smartduty.notifications.providers import provider_key, senders
from smartduty.notifications.providers.recording import RecordingSender
from smartduty.org.models import Officer
from smartduty.policy.models import DistrictPolicy
from tests.factories.org import City

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]


def _patch(client: Client, city: City, **body: Any) -> Any:
    return client.patch(
        f"/api/v1/districts/{city.district_a.public_id}/policy",
        {"reason": "调整免打扰", **body},
        content_type="application/json",
    )


@pytest.mark.parametrize(
    "period",
    [
        ("22:00:00+08:00", "07:00:00+08:00"),
        ("14:00:00Z", "23:00:00Z"),  # UTC → Asia/Shanghai
        ("22:00", "07:00"),
    ],
)
def test_quiet_hours_with_an_offset_are_converted_to_local_time(
    city: City, commander: Officer, api_client: ApiClient, period: tuple[str, str]
) -> None:
    start, end = period
    resp = _patch(api_client(commander), city, quiet_hours_start=start, quiet_hours_end=end)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("22:00:00", "07:00:00")
    row = DistrictPolicy.objects.get(district=city.district_a, is_current=True)
    assert row.quiet_hours_start is not None
    assert row.quiet_hours_start.tzinfo is None


def test_unknown_sms_provider_is_refused_naming_the_allowed_ones(
    city: City, commander: Officer, api_client: ApiClient
) -> None:
    resp = _patch(api_client(commander), city, sms_provider="aliyun_sm")
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_failed"
    assert "短信通道" in body["message"]
    assert "aliyun_sm" in body["message"]
    assert "console" in body["message"]
    assert not DistrictPolicy.objects.filter(district=city.district_a).exists()


def test_a_registered_provider_is_accepted(
    city: City, commander: Officer, api_client: ApiClient
) -> None:
    with senders().override(provider_key(channel=Channel.SMS, name="recording"), RecordingSender()):
        resp = _patch(api_client(commander), city, sms_provider="recording")
    assert resp.status_code == 200, resp.content
    assert resp.json()["sms_provider"] == "recording"


def test_unknown_or_unsuitable_template_is_refused(
    city: City, commander: Officer, api_client: ApiClient
) -> None:
    client = api_client(commander)
    typo = _patch(client, city, sms_template_code="SD_MOVE_01")
    assert typo.status_code == 422
    assert "SD_MOVE_001" in typo.json()["message"]
    # the officer-app template exists but is not an SMS with the move-car parameters
    wrong_kind = _patch(client, city, sms_template_code="SD_APP_001")
    assert wrong_kind.status_code == 422
    assert _patch(client, city, sms_template_code="SD_MOVE_001").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"sms_signature": "示范\x07城管"},
        {"sms_signature": "示范\u202e城管"},  # right-to-left override
        {"sms_provider": "console\n"},
        {"sms_template_code": "SD_MOVE_001\x00"},
        {"reason": "调整\x1b[31m"},
    ],
)
def test_control_characters_are_refused(
    city: City, commander: Officer, api_client: ApiClient, body: dict[str, str]
) -> None:
    resp = _patch(api_client(commander), city, **body)
    assert resp.status_code == 422, resp.content
    assert "控制字符" in resp.json()["message"]
    assert not DistrictPolicy.objects.filter(district=city.district_a).exists()


def test_quiet_hours_mode_reminder_and_caps_round_trip(
    city: City, commander: Officer, api_client: ApiClient
) -> None:
    client = api_client(commander)
    url = f"/api/v1/districts/{city.district_a.public_id}/policy"
    defaults = client.get(url).json()
    assert defaults["quiet_hours_mode"] == "defer"
    assert defaults["reminder_at_percent"] == 0
    assert (defaults["daily_sms_cap_per_number"], defaults["daily_sms_cap_per_officer"]) == (3, 200)
    resp = _patch(
        client,
        city,
        quiet_hours_start="22:00",
        quiet_hours_end="07:00",
        quiet_hours_mode="notice",
        reminder_at_percent=50,
        daily_sms_cap_per_number=2,
        daily_sms_cap_per_officer=80,
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["quiet_hours_mode"] == "notice"
    assert body["reminder_at_percent"] == 50
    effective = client.get(url).json()
    assert (effective["daily_sms_cap_per_number"], effective["daily_sms_cap_per_officer"]) == (
        2,
        80,
    )
    # omitted fields keep their value in the next version
    again = _patch(client, city, move_window_seconds=900).json()
    assert (again["version"], again["quiet_hours_mode"], again["reminder_at_percent"]) == (
        2,
        "notice",
        50,
    )
    assert [v["quiet_hours_mode"] for v in client.get(url + "/versions").json()] == [
        "notice",
        "notice",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"quiet_hours_mode": "skip"}, ""),
        ({"reminder_at_percent": 5}, "催挪短信时点"),
        ({"reminder_at_percent": 95}, ""),
        ({"daily_sms_cap_per_number": 0}, ""),
        ({"daily_sms_cap_per_officer": 0}, ""),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "不能相同"),
    ],
)
def test_bad_quiet_hours_reminder_or_caps_are_refused(
    city: City, commander: Officer, api_client: ApiClient, body: dict[str, Any], message: str
) -> None:
    resp = _patch(api_client(commander), city, **body)
    assert resp.status_code == 422, resp.content
    assert message in resp.json()["message"]
    assert not DistrictPolicy.objects.filter(district=city.district_a).exists()
