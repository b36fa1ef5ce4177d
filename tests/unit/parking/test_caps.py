"""Daily caps against abuse: per owner number (on the keyed digest) and per officer."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import time_machine

from smartduty.notifications.models import Delivery
from smartduty.notifications.states import DeliveryStatus
from smartduty.org.models import Officer
from smartduty.parking import owner_sms, services
from smartduty.parking.states import Action, Status
from tests.factories.org import City
from tests.factories.parking import OWNER_PHONE
from tests.unit.parking.policy_helpers import last_step, local, set_policy, texted_report

pytestmark = pytest.mark.django_db

MORNING = local(11, 9)


def _sms_count() -> int:
    return Delivery.objects.filter(channel="sms").count()


def test_per_number_cap_goes_to_the_notice_with_a_reason(
    city: City, commander: Officer, officer_a: Officer, officer_b: Officer
) -> None:
    set_policy(commander, city, daily_sms_cap_per_number=2)
    with time_machine.travel(MORNING, tick=False):
        first = texted_report(officer_a, "鲁PA12345")
        second = texted_report(officer_b, "鲁PB12346")  # another officer, another car
        third = texted_report(officer_a, "鲁PA12347")
        other_phone = texted_report(officer_a, "鲁PA12348", phone="13900001111")
    assert [first.status, second.status] == [Status.AWAITING_MOVE, Status.AWAITING_MOVE]
    assert third.status == Status.OWNER_UNKNOWN
    step = last_step(third)
    assert step.action == Action.SKIP_OWNER_SMS
    assert "今日已收到 2 起上报的挪车短信（每日上限 2 起）" in step.reason
    assert "138****1234" in step.reason
    assert OWNER_PHONE not in step.reason
    assert other_phone.status == Status.AWAITING_MOVE
    assert _sms_count() == 3
    with time_machine.travel(MORNING + timedelta(days=1), tick=False):  # a new day
        assert texted_report(officer_a, "鲁PA12349").status == Status.AWAITING_MOVE


def test_cancelled_messages_do_not_count(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(
        commander,
        city,
        daily_sms_cap_per_number=1,
        quiet_hours_start=time(22),
        quiet_hours_end=time(7),
    )
    with time_machine.travel(local(10, 23), tick=False):
        wrong = texted_report(officer_a, "鲁PA12345")  # its SMS waits for 07:00
        services.transition(wrong, Action.VOID, actor=officer_a.user, reason="误报")
    assert Delivery.objects.get(channel="sms").status == DeliveryStatus.CANCELLED
    with time_machine.travel(local(10, 23, 5), tick=False):
        assert texted_report(officer_a, "鲁PA12346").status == Status.AWAITING_MOVE


def test_per_officer_cap(
    city: City, commander: Officer, officer_a: Officer, officer_b: Officer
) -> None:
    set_policy(commander, city, daily_sms_cap_per_officer=1)
    with time_machine.travel(MORNING, tick=False):
        assert texted_report(officer_a, "鲁PA12345").status == Status.AWAITING_MOVE
        capped = texted_report(officer_a, "鲁PA12346", phone="13900001111")
        assert texted_report(officer_b, "鲁PB12347", phone="13900002222").status == (
            Status.AWAITING_MOVE
        )
    assert capped.status == Status.OWNER_UNKNOWN
    assert "上报人员今日已触发 1 条挪车短信（每日上限 1 条）" in last_step(capped).reason
    assert _sms_count() == 2


def test_reminders_do_not_use_up_the_number_cap(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(commander, city, daily_sms_cap_per_number=2, reminder_at_percent=50)
    with time_machine.travel(MORNING, tick=False):
        first = texted_report(officer_a, "鲁PA12345")
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        assert owner_sms.send_reminder(report_id=first.pk) is not None
        assert texted_report(officer_a, "鲁PA12346").status == Status.AWAITING_MOVE
