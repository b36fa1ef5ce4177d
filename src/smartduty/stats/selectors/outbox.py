"""The outbox as officers and commanders may see it: messages about reports in their scope.

`notifications` sits below `parking` and cannot tell which district a delivery belongs to;
this read model can: a delivery's subject is a parking report, and the report's district
decides who may see it. Recipients leave masked (`138****1234`), never in plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import CharField, QuerySet, Subquery
from django.db.models.functions import Cast

from smartduty.kernel.errors import PermissionDenied
from smartduty.kernel.scoping import Principal
from smartduty.notifications.models import ConsoleMessage, Delivery
from smartduty.notifications.ports import Channel
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import SUBJECT
from smartduty.stats.selectors.counters import VIEW

MAX_MESSAGES = 100
VIEW_CONSOLE = "notifications.view_consolemessage"


@dataclass(frozen=True)
class ConsoleEntry:
    """One SMS as the console gateway received it, tied to its report."""

    provider_message_id: str
    channel: str
    recipient_masked: str
    text: str
    segments: int
    created_at: datetime
    report_id: UUID
    plate: str
    delivery_status: str


def _deliveries(principal: Principal, report: ParkingReport | None) -> QuerySet[Delivery]:
    visible = ParkingReport.objects.visible_to(principal, VIEW)
    if report is not None:
        visible = visible.filter(pk=report.pk)
    ids = visible.annotate(sid=Cast("pk", output_field=CharField())).values("sid")
    return Delivery.objects.filter(subject_type=SUBJECT, subject_id__in=Subquery(ids))


def list_report_deliveries(*, principal: Principal, report: ParkingReport) -> list[Delivery]:
    """Every message requested for one visible report (SMS, app push), oldest first."""
    return list(_deliveries(principal, report).order_by("created_at", "id"))


def list_console_messages(
    *, principal: Principal, report: ParkingReport | None = None, limit: int = 20
) -> list[ConsoleEntry]:
    """SMS that the console gateway received for visible reports, newest first.

    Needs `notifications.view_consolemessage` (`PermissionDenied`, 403, without it).
    """
    if not principal.has_perm(VIEW_CONSOLE):
        raise PermissionDenied("您没有查看控制台短信的权限")
    deliveries = list(
        _deliveries(principal, report)
        .filter(channel=Channel.SMS)
        .order_by("-created_at", "-id")[: min(limit, MAX_MESSAGES)]
    )
    if not deliveries:
        return []
    reports = {
        str(pk): (pid, plate)
        for pk, pid, plate in ParkingReport.objects.filter(
            pk__in=[int(d.subject_id) for d in deliveries]
        ).values_list("pk", "public_id", "plate")
    }
    received = {
        m.idempotency_key: m
        for m in ConsoleMessage.objects.filter(
            idempotency_key__in=[str(d.public_id) for d in deliveries]
        )
    }
    out = []
    for delivery in deliveries:
        message = received.get(str(delivery.public_id))
        if message is None:
            continue
        report_id, plate = reports[delivery.subject_id]
        out.append(
            ConsoleEntry(
                provider_message_id=message.provider_message_id,
                channel=message.channel,
                recipient_masked=message.recipient_masked,
                text=message.text,
                segments=message.segments,
                created_at=message.created_at,
                report_id=report_id,
                plate=plate,
                delivery_status=delivery.status,
            )
        )
    return out
