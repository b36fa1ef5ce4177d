"""`manage.py erase_owner_contact`: bring every finished case under the retention rule.

Cases that ended before the rule existed have no erasure timer. For each case in a final
state whose owner's number is still stored: a case that ended more than
`OWNER_CONTACT_RETENTION_DAYS` ago is erased now, a more recent one gets its timer (due when
the period ends). Idempotent: run it once after upgrading, or at any time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.parking import retention as rules
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import SUBJECT, TERMINAL


class Command(BaseCommand):
    """Erase or schedule the erasure of owners' numbers of finished cases."""

    help = "按保留期限清除已结束案件的车主电话 / erase owners' numbers of finished cases"

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Erase what is due, schedule the rest, print both counts."""
        stored = Delivery.objects.filter(
            subject_type=SUBJECT, channel=Channel.SMS, recipient_erased_at__isnull=True
        ).values("subject_id")
        cases = (
            ParkingReport.objects.filter(status__in=TERMINAL, pk__in=_as_ids(stored))
            .annotate(ended_at=Max("transitions__at"))
            .order_by("pk")
        )
        retention = rules.retention()
        cutoff = timezone.now() - retention
        erased = scheduled = 0
        for case in cases.iterator():
            ended = case.ended_at or case.created_at
            if ended <= cutoff:
                erased += rules.erase_owner_contact(report_id=case.pk).erased
                continue
            with transaction.atomic():
                rules.schedule_contact_erasure(report_id=case.pk, due_at=ended + retention)
            scheduled += 1
        self.stdout.write(
            f"已清除 {erased} 条短信中的车主电话，{scheduled} 个案件已安排到期清除 / "
            f"erased {erased} numbers, scheduled {scheduled} cases"
        )


def _as_ids(subject_ids: Any) -> list[int]:
    return sorted({int(row["subject_id"]) for row in subject_ids if row["subject_id"].isdigit()})
