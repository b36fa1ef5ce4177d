"""Owner phone reveals are rate-limited per user, and bursts are flagged in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer
from tests.factories.org import City
from tests.factories.vehicles import make_vehicle

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]
BURST = "vehicles.reveal_burst"
REVEAL = "vehicles.reveal_owner_phone"


def _reveal(client: Client, public_id: object) -> Any:
    return client.post(
        f"/api/v1/vehicles/{public_id}/phone-reveals",
        {"reason": "批量查询"},
        content_type="application/json",
    )


def _vehicles(city: City, n: int) -> list[Any]:
    return [
        make_vehicle(city.district_a, plate=f"鲁A{10000 + i}", owner_phone=f"138{i:08d}")
        for i in range(n)
    ]


@override_settings(
    RATE_LIMIT_REVEALS_PER_HOUR=10,
    RATE_LIMIT_REVEALS_PER_DAY=30,
    RATE_LIMIT_REVEAL_BURST_PER_MINUTE=5,
)
def test_a_hundred_reveals_stop_at_the_hourly_limit_and_are_flagged(
    city: City, leader_a: Officer, commander: Officer, api_client: ApiClient
) -> None:
    client = api_client(leader_a)
    answers = [_reveal(client, v.public_id) for v in _vehicles(city, 100)]
    codes = [a.status_code for a in answers]
    assert codes[:10] == [201] * 10
    assert set(codes[10:]) == {429}
    refused = answers[10]
    assert refused.json()["code"] == "too_many_attempts"
    assert "查看车主电话过于频繁" in refused.json()["message"]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert AuditEntry.objects.filter(action=REVEAL).count() == 10
    # one flag for the burst (not one per reveal), naming the user
    flags = AuditEntry.objects.filter(action=BURST)
    assert flags.count() == 1
    assert flags.get().actor == leader_a.user
    # another user is not held back by the first one's limit
    assert _reveal(api_client(commander), _vehicles_first(city)).status_code == 201


def _vehicles_first(city: City) -> object:
    return make_vehicle(city.district_a, plate="鲁A99999", owner_phone="13900000000").public_id


@override_settings(
    RATE_LIMIT_REVEALS_PER_HOUR=10,
    RATE_LIMIT_REVEALS_PER_DAY=12,
    RATE_LIMIT_REVEAL_BURST_PER_MINUTE=0,
)
def test_the_daily_limit_holds_across_hours(
    city: City, leader_a: Officer, api_client: ApiClient
) -> None:
    cars = _vehicles(city, 14)
    start = (timezone.now() + timedelta(days=1)).replace(hour=1, minute=0)  # one UTC day
    with time_machine.travel(start, tick=False):
        first = [_reveal(api_client(leader_a), v.public_id).status_code for v in cars[:10]]
    with time_machine.travel(start.replace(hour=3), tick=False):
        client = api_client(leader_a)
        later = [_reveal(client, v.public_id).status_code for v in cars[10:]]
    assert first == [201] * 10
    assert later == [201, 201, 429, 429]
    # the refusal itself is flagged once
    assert AuditEntry.objects.filter(action=BURST).count() == 1


@override_settings(RATE_LIMIT_REVEAL_BURST_PER_MINUTE=2, RATE_LIMIT_REVEALS_PER_HOUR=10)
def test_a_burst_under_the_limits_is_allowed_but_flagged(
    city: City, leader_a: Officer, api_client: ApiClient
) -> None:
    client = api_client(leader_a)
    codes = [_reveal(client, v.public_id).status_code for v in _vehicles(city, 4)]
    assert codes == [201] * 4
    flag = AuditEntry.objects.get(action=BURST)
    assert flag.changes["refused"] is False
    assert flag.actor == leader_a.user
