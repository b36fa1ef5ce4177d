"""Quiet hours decide what a report inside them does: defer the SMS, or go to the notice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.notifications.models import Delivery
from smartduty.notifications.states import DeliveryStatus
from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.parking import services
from smartduty.parking.states import Action, Status
from smartduty.policy.quiet_hours import quiet_until
from tests.factories.org import City
from tests.unit.parking.policy_helpers import last_step, local, set_policy, texted_report

pytestmark = pytest.mark.django_db

NIGHT = {"quiet_hours_start": time(22), "quiet_hours_end": time(7)}


@pytest.mark.parametrize(
    ("at", "until"),
    [
        (local(10, 23), local(11, 7)),  # before midnight: ends tomorrow morning
        (local(11, 1, 30), local(11, 7)),  # after midnight: ends this morning
        (local(10, 22), local(11, 7)),  # the start belongs to the period
        (local(11, 7), None),  # the end does not
        (local(10, 12), None),
    ],
)
def test_quiet_until_over_midnight(at: datetime, until: datetime | None) -> None:
    assert quiet_until(time(22), time(7), at) == until


def test_quiet_until_within_a_day_and_without_a_period() -> None:
    assert quiet_until(time(12), time(14), local(10, 13)) == local(10, 14)
    assert quiet_until(time(12), time(14), local(10, 14, 1)) is None
    assert quiet_until(None, None, local(10, 13)) is None
    assert quiet_until(time(12), time(12), local(10, 12)) is None


def test_defer_queues_the_sms_for_the_end_and_starts_the_window_then(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(commander, city, **NIGHT, quiet_hours_mode="defer")
    with time_machine.travel(local(10, 23, 5), tick=False):
        report = texted_report(officer_a, "鲁PA12345")
    assert report.status == Status.AWAITING_MOVE
    assert report.owner_notified_at == local(11, 7)
    assert report.deadline_at == local(11, 7, 10)
    sms = Delivery.objects.get(channel="sms")
    assert sms.next_attempt_at == local(11, 7)
    deadline = Timer.objects.get(kind=services.MOVE_DEADLINE)
    assert deadline.due_at == local(11, 7, 10)
    step = last_step(report)
    assert step.action == Action.NOTIFY_OWNER
    assert step.reason.startswith("静默时段（22:00–07:00）：短信将于 07:00 发送")
    assert "自发送时起算" in step.reason
    # the deadline does not run out during the night …
    with time_machine.travel(local(10, 23, 20), tick=False):
        assert timers.fire_next_due() is None
    # … but ten minutes after the SMS went out
    with time_machine.travel(
        local(
            11,
            7,
            10,
        )
        + timedelta(seconds=1),
        tick=False,
    ):
        fired = timers.fire_next_due()
    assert fired is not None
    report.refresh_from_db()
    assert report.status == Status.AWAITING_RECHECK


def test_notice_mode_sends_nothing_and_tells_the_officer(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(commander, city, **NIGHT, quiet_hours_mode="notice")
    with time_machine.travel(local(11, 2), tick=False):
        report = texted_report(officer_a, "鲁PA12345")
    assert report.status == Status.OWNER_UNKNOWN
    step = last_step(report)
    assert step.action == Action.SKIP_OWNER_SMS
    assert step.reason.startswith("静默时段（22:00–07:00）：请直接张贴提示单")
    assert not Delivery.objects.filter(channel="sms").exists()
    assert not Timer.objects.filter(kind=services.MOVE_DEADLINE).exists()
    posted = services.post_notice_without_owner(
        principal=org_services.principal_for_user(officer_a.user),
        officer=officer_a,
        report=report,
    )
    assert posted.status == Status.NOTICE_POSTED


def test_outside_quiet_hours_the_sms_goes_now(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(commander, city, **NIGHT, quiet_hours_mode="notice")
    with time_machine.travel(local(11, 9), tick=False):
        report = texted_report(officer_a, "鲁PA12345")
        assert report.owner_notified_at == timezone.now()
    assert report.status == Status.AWAITING_MOVE
    assert report.deadline_at == local(11, 9, 10)
    assert last_step(report).reason.startswith("已向车主")


def test_a_car_moved_during_the_night_gets_no_sms_in_the_morning(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(commander, city, **NIGHT)  # defer is the default mode
    with time_machine.travel(local(10, 23), tick=False):
        report = texted_report(officer_a, "鲁PA12345")
        services.transition(
            report, Action.CONFIRM_MOVED, actor=officer_a.user, changes={"moved_at": local(10, 23)}
        )
    assert Delivery.objects.get(channel="sms").status == DeliveryStatus.CANCELLED
    assert Timer.objects.get(kind=services.MOVE_DEADLINE).status == TimerStatus.CANCELLED
