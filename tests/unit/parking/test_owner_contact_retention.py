"""The owner's phone number is erased from a case's text messages when its retention ends.

PIPL: personal information is kept no longer than its purpose needs. A parking case that ends
(moved, closed, duplicate, void) schedules a durable `parking.erase_owner_contact` timer
`OWNER_CONTACT_RETENTION_DAYS` later; firing it blanks the encrypted number and its digest of
the case's finished SMS (the masked copy, text and attempts stay for the record), writes one
audit row, and comes back a day later for a message still on its way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.crypto import decrypt_text
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.notifications import outbox
from smartduty.notifications.models import Delivery
from smartduty.notifications.states import DeliveryStatus
from smartduty.org.models import Officer
from smartduty.parking import retention as services
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status
from tests.factories.parking import report_in

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _sms(report: ParkingReport) -> Delivery:
    return Delivery.objects.get(subject_id=str(report.pk), channel="sms")


def _erasure_timers(report: ParkingReport) -> list[Timer]:
    return list(
        Timer.objects.filter(kind=services.ERASE_OWNER_CONTACT, subject_id=str(report.pk)).order_by(
            "id"
        )
    )


def _fire_at(moment: timedelta) -> None:
    with time_machine.travel(timezone.now() + moment, tick=False):
        while timers.fire_next_due() is not None:
            pass


@override_settings(OWNER_CONTACT_RETENTION_DAYS=7)
@pytest.mark.parametrize("status", [Status.MOVED, Status.CLOSED, Status.VOID, Status.DUPLICATE])
def test_a_case_that_ends_schedules_the_erasure(officer_a: Officer, status: Status) -> None:
    before = timezone.now()
    report = report_in(status, officer_a)
    (timer,) = _erasure_timers(report)
    assert timer.status == TimerStatus.PENDING
    assert before + 7 * DAY <= timer.due_at <= timezone.now() + 7 * DAY


@pytest.mark.parametrize("status", [Status.AWAITING_MOVE, Status.AWAITING_RECHECK])
def test_an_open_case_keeps_the_number(officer_a: Officer, status: Status) -> None:
    report = report_in(status, officer_a)
    assert _erasure_timers(report) == []


@override_settings(OWNER_CONTACT_RETENTION_DAYS=7)
def test_the_number_is_erased_when_the_period_ends_not_before(officer_a: Officer) -> None:
    report = report_in(Status.MOVED, officer_a)
    assert outbox.send_due() >= 1
    sms = _sms(report)
    assert sms.status == DeliveryStatus.SENT
    number, masked = decrypt_text(sms.recipient_encrypted), sms.recipient_masked
    assert number.isdigit()

    _fire_at(7 * DAY - timedelta(minutes=1))
    sms.refresh_from_db()
    assert decrypt_text(sms.recipient_encrypted) == number  # not yet
    assert sms.recipient_erased_at is None

    _fire_at(7 * DAY + timedelta(minutes=1))
    sms.refresh_from_db()
    assert sms.recipient_encrypted == ""
    assert sms.recipient_digest == ""
    assert sms.recipient_erased_at is not None
    assert sms.recipient_masked == masked  # kept for the record, with the text
    assert sms.rendered_text
    (timer,) = _erasure_timers(report)
    assert timer.status == TimerStatus.DONE
    entry = AuditEntry.objects.get(action="parking.erase_owner_contact")
    assert entry.object_id == str(report.public_id)
    assert entry.changes == {"erased": 1}
    assert number not in str(entry.changes) + entry.reason


@override_settings(OWNER_CONTACT_RETENTION_DAYS=7)
def test_a_message_still_on_its_way_keeps_its_number_and_is_looked_at_again(
    officer_a: Officer,
) -> None:
    report = report_in(Status.MOVED, officer_a)  # its SMS is still pending (no pump ran)
    sms = _sms(report)
    _fire_at(7 * DAY + timedelta(minutes=1))
    sms.refresh_from_db()
    assert sms.status == DeliveryStatus.PENDING
    assert decrypt_text(sms.recipient_encrypted).isdigit()  # the sender still needs it
    first, again = _erasure_timers(report)
    assert first.status == TimerStatus.DONE
    assert again.status == TimerStatus.PENDING
    assert again.due_at >= first.due_at + DAY
    assert not AuditEntry.objects.filter(action="parking.erase_owner_contact").exists()

    Delivery.objects.filter(pk=sms.pk).update(status=DeliveryStatus.FAILED)  # gave up sending
    _fire_at(8 * DAY + timedelta(minutes=2))
    sms.refresh_from_db()
    assert sms.recipient_encrypted == ""
    assert [t.status for t in _erasure_timers(report)] == [TimerStatus.DONE, TimerStatus.DONE]


def test_erasing_twice_changes_nothing_more(officer_a: Officer) -> None:
    report = report_in(Status.MOVED, officer_a)
    outbox.send_due()
    first = services.erase_owner_contact(report_id=report.pk)
    erased_at = _sms(report).recipient_erased_at
    second = services.erase_owner_contact(report_id=report.pk)
    assert (first.erased, second.erased) == (1, 0)
    assert _sms(report).recipient_erased_at == erased_at
    assert AuditEntry.objects.filter(action="parking.erase_owner_contact").count() == 1


def test_the_command_erases_old_cases_and_schedules_recent_ones(officer_a: Officer) -> None:
    old = report_in(Status.MOVED, officer_a, plate="鲁PA10001")
    recent = report_in(Status.MOVED, officer_a, plate="鲁PA10002")
    still_open = report_in(Status.AWAITING_MOVE, officer_a, plate="鲁PA10003")
    outbox.send_due()
    Timer.objects.filter(kind=services.ERASE_OWNER_CONTACT).delete()  # cases from before the rule
    old.transitions.update(at=timezone.now() - 40 * DAY)
    call_command("erase_owner_contact")
    assert _sms(old).recipient_erased_at is not None
    assert _sms(recent).recipient_erased_at is None
    (timer,) = _erasure_timers(recent)
    assert timer.due_at > timezone.now() + 29 * DAY
    assert _sms(still_open).recipient_erased_at is None
    assert _erasure_timers(still_open) == []
    call_command("erase_owner_contact")  # idempotent
    assert len(_erasure_timers(recent)) == 1
