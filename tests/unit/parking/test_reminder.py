"""The one reminder SMS (催挪): at the policy's point of the window, never after the car moved,
never twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.notifications.models import Delivery
from smartduty.notifications.templates import MOVE_REMINDER_SMS, SINGLE_SEGMENT_CHARS
from smartduty.org.models import Officer
from smartduty.parking import owner_sms, services
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import SUBJECT, Action, Status
from tests.factories.org import City
from tests.unit.parking.policy_helpers import local, set_policy, texted_report

pytestmark = pytest.mark.django_db

START = local(11, 9)


def _fire_at(moment: datetime) -> Timer | None:
    with time_machine.travel(moment, tick=False):
        return timers.fire_next_due()


def _reminders() -> list[Delivery]:
    return list(Delivery.objects.filter(template_code=MOVE_REMINDER_SMS))


def _awaiting(city: City, commander: Officer, officer: Officer, **policy: Any) -> ParkingReport:
    set_policy(commander, city, reminder_at_percent=50, **policy)
    with time_machine.travel(START, tick=False):
        return texted_report(officer, "鲁PA12345")


def test_off_by_default(officer_a: Officer) -> None:
    with time_machine.travel(START, tick=False):
        texted_report(officer_a, "鲁PA12345")
    assert not Timer.objects.filter(kind=owner_sms.OWNER_REMINDER).exists()


def test_sent_at_the_point_of_the_window_to_the_same_number(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    report = _awaiting(city, commander, officer_a)
    timer = Timer.objects.get(kind=owner_sms.OWNER_REMINDER)
    assert timer.due_at == START + timedelta(seconds=300)
    assert _fire_at(START + timedelta(seconds=299)) is None
    fired = _fire_at(START + timedelta(seconds=300))
    assert fired is not None
    assert fired.kind == owner_sms.OWNER_REMINDER
    assert fired.status == TimerStatus.DONE
    (reminder,) = _reminders()
    first = Delivery.objects.get(dedupe_key=owner_sms.owner_sms_key(report.pk))
    assert reminder.recipient_digest == first.recipient_digest
    assert reminder.subject_type == SUBJECT
    assert reminder.subject_id == str(report.pk)
    assert reminder.rendered_text.startswith("【智慧勤务】提醒：车辆鲁PA12345仍停")
    assert "请09:10前驶离，非罚单" in reminder.rendered_text
    assert len(reminder.rendered_text) <= SINGLE_SEGMENT_CHARS
    report.refresh_from_db()
    assert report.status == Status.AWAITING_MOVE  # a reminder is no step of the report


def test_not_sent_after_the_car_moved(city: City, commander: Officer, officer_a: Officer) -> None:
    report = _awaiting(city, commander, officer_a)
    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        services.transition(
            report, Action.CONFIRM_MOVED, actor=officer_a.user, changes={"moved_at": START}
        )
    assert Timer.objects.get(kind=owner_sms.OWNER_REMINDER).status == TimerStatus.CANCELLED
    assert _fire_at(START + timedelta(seconds=301)) is None
    # a timer that outlived its state (restored backup) finds the car gone and sends nothing
    assert owner_sms.send_reminder(report_id=report.pk) is None
    assert _reminders() == []


def test_not_sent_after_the_deadline_or_a_void(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    report = _awaiting(city, commander, officer_a)
    services.handle_move_deadline(report_id=report.pk)
    assert owner_sms.send_reminder(report_id=report.pk) is None
    other = texted_report(officer_a, "鲁PA12346", phone="13800005678")
    services.transition(other, Action.VOID, actor=officer_a.user, reason="误报")
    assert owner_sms.send_reminder(report_id=other.pk) is None
    assert _reminders() == []


def test_not_sent_twice_even_when_the_timer_fires_twice(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    report = _awaiting(city, commander, officer_a)
    assert _fire_at(START + timedelta(seconds=300)) is not None
    with transaction.atomic():  # the same timer again (e.g. a replayed or duplicated row)
        timers.schedule(
            kind=owner_sms.OWNER_REMINDER,
            subject_type=SUBJECT,
            subject_id=str(report.pk),
            due_at=START + timedelta(seconds=301),
        )
    again = _fire_at(START + timedelta(seconds=302))
    assert again is not None
    assert again.status == TimerStatus.DONE
    assert len(_reminders()) == 1


def test_deferred_sms_puts_the_reminder_after_the_send_time(
    city: City, commander: Officer, officer_a: Officer
) -> None:
    set_policy(
        commander,
        city,
        reminder_at_percent=50,
        quiet_hours_start=time(22),
        quiet_hours_end=time(7),
    )
    with time_machine.travel(local(10, 23), tick=False):
        texted_report(officer_a, "鲁PA12345")
    timer = Timer.objects.get(kind=owner_sms.OWNER_REMINDER)
    assert timer.due_at == local(11, 7, 5)


def test_no_reminder_inside_quiet_hours(city: City, commander: Officer, officer_a: Officer) -> None:
    set_policy(
        commander,
        city,
        reminder_at_percent=50,
        quiet_hours_start=time(21, 58),
        quiet_hours_end=time(7),
    )
    with time_machine.travel(local(10, 21, 55), tick=False):
        report = texted_report(officer_a, "鲁PA12345")
    assert report.deadline_at == local(10, 22, 5)
    fired = _fire_at(local(10, 22, 0))  # the reminder point falls into the night
    assert fired is not None
    assert fired.kind == owner_sms.OWNER_REMINDER
    assert _reminders() == []
