"""Open311: the reporter's contact (PIPL) is erased a retention period after the case ends,
once, audited; a duplicate that ends at once schedules it too; an open case keeps it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from smartduty.cases import services as cases_services
from smartduty.cases.models import Case
from smartduty.cases.states import Action
from smartduty.kernel import timers
from smartduty.kernel.models import AuditEntry, TimerStatus
from smartduty.open311 import services
from smartduty.open311.models import PublicReport
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from tests.api.open311_helpers import BASE, EMAIL, PHONE, erasure_timers, public_case

pytestmark = pytest.mark.django_db


@override_settings(OPEN311_CONTACT_RETENTION_DAYS=7)
def test_the_contact_is_erased_days_after_the_case_ends_once_and_audited(
    open311_post: Callable[..., Any], commander: Officer
) -> None:
    case = Case.objects.get(number=public_case(open311_post, phone=PHONE, email=EMAIL))
    without = Case.objects.get(
        number=public_case(open311_post, address_string="解放路1号", lat=None, long=None)
    )
    assert not erasure_timers().exists()  # open cases keep the contact
    now = timezone.now()
    for each in (case, without):
        cases_services.act(
            each,
            Action.REJECT,
            principal=principal_for_user(commander.user),
            actor=commander.user,
            reason="非城管职责",
        )
    [timer] = erasure_timers()  # only the report with a contact gets one
    assert timer.subject_id == str(PublicReport.objects.get(case=case).pk)
    assert now + timedelta(days=7) <= timer.due_at <= timezone.now() + timedelta(days=7)
    # a second end signal keeps the first due time (one pending erasure per report)
    services.schedule_contact_erasure(case=case)
    assert erasure_timers().count() == 1
    assert timers.fire_due(now=timer.due_at - timedelta(seconds=1)) == []
    report = PublicReport.objects.get(case=case)
    assert (report.phone_masked, report.contact_erased_at) == ("138****5678", None)
    later = timer.due_at + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert [t.kind for t in timers.fire_due(now=later)] == [services.ERASE_CONTACT]
    report.refresh_from_db()
    assert (report.contact_encrypted, report.phone_masked) == ("", "")
    assert report.contact_erased_at == later
    assert erasure_timers().get().status == TimerStatus.DONE
    assert not services.erase_contact(report_id=report.pk)  # idempotent
    [entry] = AuditEntry.objects.filter(action=services.ERASE_CONTACT)
    assert (entry.object_id, entry.district_path) == (str(case.public_id), case.district.path)
    assert "7 天" in entry.reason
    assert Client().get(f"{BASE}/requests/{case.number}.json").status_code == 200


def test_a_public_duplicate_schedules_its_erasure_at_once(open311_post: Callable[..., Any]) -> None:
    public_case(open311_post)
    second = Case.objects.get(number=public_case(open311_post, phone=PHONE))
    assert second.status == "duplicate"
    [timer] = erasure_timers()
    assert timer.subject_id == str(PublicReport.objects.get(case=second).pk)


def test_an_erasure_timer_for_an_open_case_changes_nothing(
    open311_post: Callable[..., Any],
) -> None:
    case = Case.objects.get(number=public_case(open311_post, phone=PHONE))
    report = PublicReport.objects.get(case=case)
    assert not services.erase_contact(report_id=report.pk)
    assert PublicReport.objects.get(pk=report.pk).phone_masked == "138****5678"
