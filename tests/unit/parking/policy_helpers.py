"""Shared steps of the quiet-hours, reminder and cap tests: a city-wide policy, a report."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.policy.services import PolicyChanges, update_policy
from tests.factories.org import City
from tests.factories.parking import OWNER_PHONE, make_report, register_owner

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in June 2025, Beijing time."""
    return datetime(2025, 6, day, hour, minute, tzinfo=SHANGHAI)


def set_policy(commander: Officer, city: City, **changes: Any) -> None:
    """A new version of the city's policy (inherited by every district)."""
    update_policy(
        principal=org_services.principal_for_user(commander.user),
        actor=commander.user,
        district=city.city,
        changes=PolicyChanges(**changes),
        reason="测试规则",
    )


def texted_report(officer: Officer, plate: str, phone: str = OWNER_PHONE) -> ParkingReport:
    """A report with a confirmed plate whose owner is in the registry with `phone`."""
    register_owner(officer, plate, phone)
    return make_report(officer, plate=plate, confirm=True)


def last_step(report: ParkingReport) -> ParkingTransition:
    """The newest timeline step of the report."""
    return ParkingTransition.objects.filter(report=report).order_by("-at", "-id")[0]
