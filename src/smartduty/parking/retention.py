"""Retention of the owner's phone number (PIPL): a finished report's text messages lose it
`OWNER_CONTACT_RETENTION_DAYS` after the end (`docs/domains/parking.md`). `services.transition`
schedules the erasure on entering a final state; the timer and `manage.py erase_owner_contact`
run it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit, timers
from smartduty.notifications import services as outbox
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import SUBJECT, TERMINAL

ERASE_OWNER_CONTACT = "parking.erase_owner_contact"
"""Timer kind: the case ended `OWNER_CONTACT_RETENTION_DAYS` ago; erase the owner's number."""
ERASE_RETRY = timedelta(days=1)
"""A message still on its way when the erasure is due: look again this much later."""


def retention() -> timedelta:
    """How long the owner's number is kept after a case ends (`OWNER_CONTACT_RETENTION_DAYS`)."""
    return timedelta(days=int(getattr(settings, "OWNER_CONTACT_RETENTION_DAYS", 30)))


def schedule_contact_erasure(*, report_id: int, due_at: datetime, retry: bool = False) -> None:
    """Schedule `parking.erase_owner_contact` for a finished case, in the caller's transaction.

    One pending erasure per case (dedupe key), except for a `retry` scheduled by the erasure
    itself: its own timer still holds the key while it runs.
    """
    timers.schedule(
        kind=ERASE_OWNER_CONTACT,
        subject_type=SUBJECT,
        subject_id=str(report_id),
        due_at=due_at,
        dedupe_key=None if retry else f"{ERASE_OWNER_CONTACT}:{report_id}",
    )


def erase_owner_contact(*, report_id: int) -> outbox.Erasure:
    """Timer handler body: erase the owner's number from the case's text messages.

    Only for a case in a final state (a timer that outlived a restored backup finds nothing to
    do otherwise). A message still being sent keeps its number; the erasure is then scheduled
    again `ERASE_RETRY` later. One audit row per erasure that changed something.
    """
    with transaction.atomic():
        report = ParkingReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status not in TERMINAL:
            return outbox.Erasure(erased=0, unfinished=0)
        done = outbox.erase_recipients(subject_type=SUBJECT, subject_id=str(report.pk))
        if done.erased:
            audit.record(
                actor=None,
                action="parking.erase_owner_contact",
                obj=report,
                district_path=report.district.path,
                reason=f"保留期满，已清除车主电话（{done.erased} 条短信）",
                changes={"erased": done.erased},
            )
        if done.unfinished:
            schedule_contact_erasure(
                report_id=report.pk, due_at=timezone.now() + ERASE_RETRY, retry=True
            )
        return done
