"""Parking reads: lists, one report, its timeline, and look-ups used by services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.notifications.states import ReceiptStatus
from smartduty.parking.models import ParkingNotice, ParkingReport, ParkingTransition
from smartduty.parking.states import SUBJECT, Status

VIEW = "parking.view_parkingreport"
_DUPLICATE_TARGETS = (
    Status.AWAITING_MOVE,
    Status.AWAITING_RECHECK,
    Status.OWNER_UNKNOWN,
    Status.NOTICE_POSTED,
)


OWNER_SMS_FIELDS: Final = (
    "status",
    "receipt_status",
    "receipt_code",
    "receipt_description",
    "receipt_at",
)
"""What a report's owner SMS shows (`OwnerSms`), annotated on reports as `owner_sms_<field>`."""


@dataclass(frozen=True)
class OwnerSms:
    """Where the owner SMS of a report stands: outbox status and the vendor's receipt."""

    status: str
    receipt_status: str
    receipt_code: str
    receipt_description: str
    receipt_at: datetime | None


def _owner_sms_rows() -> QuerySet[Delivery]:
    return Delivery.objects.filter(subject_type=SUBJECT, channel=Channel.SMS).order_by(
        "-created_at", "-id"
    )


def with_owner_sms(qs: QuerySet[ParkingReport]) -> QuerySet[ParkingReport]:
    """Annotate each report with its latest owner SMS (`owner_sms_<field>`), in the same query."""
    latest = _owner_sms_rows().filter(subject_id=Cast(OuterRef("pk"), output_field=CharField()))
    return qs.annotate(
        **{f"owner_sms_{f}": Subquery(latest.values(f)[:1]) for f in OWNER_SMS_FIELDS}
    )


def may_post_notice_now(report: ParkingReport) -> bool:
    """The guard on `post_notice` while the move window runs: the vendor reported the owner
    SMS undelivered, so the owner will not come and the officer need not wait the window out.
    In every other state the transition table alone decides."""
    if report.status != Status.AWAITING_MOVE:
        return True
    sms = get_owner_sms(report=report)
    return sms is not None and sms.receipt_status == ReceiptStatus.UNDELIVERED


def get_owner_sms(*, report: ParkingReport) -> OwnerSms | None:
    """The latest owner SMS of `report` (annotated by `with_owner_sms`, else read), or None."""
    if hasattr(report, "owner_sms_status"):
        values = {f: getattr(report, f"owner_sms_{f}") for f in OWNER_SMS_FIELDS}
        if values["status"] is None:
            return None
    else:
        row = _owner_sms_rows().filter(subject_id=str(report.pk)).values(*OWNER_SMS_FIELDS)
        found = row.first()
        if found is None:
            return None
        values = dict(found)
    return OwnerSms(
        status=str(values["status"]),
        receipt_status=str(values["receipt_status"] or ""),
        receipt_code=str(values["receipt_code"] or ""),
        receipt_description=str(values["receipt_description"] or ""),
        receipt_at=values["receipt_at"],
    )


def list_reports(
    *, principal: Principal, status: str | None = None, mine_officer_id: int | None = None
) -> QuerySet[ParkingReport]:
    """Reports in the principal's subtree, newest first, each with its owner SMS."""
    qs = with_owner_sms(
        ParkingReport.objects.visible_to(principal, VIEW).select_related(
            "district", "unit", "reported_by", "photo", "notice", "case"
        )
    )
    if status:
        qs = qs.filter(status=status)
    if mine_officer_id is not None:
        qs = qs.filter(reported_by_id=mine_officer_id)
    return qs


def get_report(*, principal: Principal, public_id: UUID) -> ParkingReport:
    """One visible report, or `NotFound`."""
    report = list_reports(principal=principal).filter(public_id=public_id).first()
    if report is None:
        raise NotFound("未找到该违停上报，或不在您的辖区范围内")
    return report


def find_report_by_public_id(*, public_id: UUID) -> ParkingReport | None:
    """A report by id without scoping — for signed owner links only."""
    return (
        ParkingReport.objects.select_related("district", "unit", "photo", "reported_by")
        .filter(public_id=public_id)
        .first()
    )


def find_report_by_idempotency_key(*, key: str) -> ParkingReport | None:
    """The report an offline client already created with this key."""
    return ParkingReport.objects.filter(idempotency_key=key).first()


def find_open_report_for_plate(
    *, plate: str, since: datetime, exclude_pk: int | None = None
) -> ParkingReport | None:
    """The earliest open report of the plate created after `since` (the duplicate rule)."""
    qs = ParkingReport.objects.filter(
        plate=plate, status__in=_DUPLICATE_TARGETS, created_at__gte=since
    ).order_by("created_at")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def list_timeline(*, report: ParkingReport) -> QuerySet[ParkingTransition]:
    """Every transition of a report in the order it was committed."""
    return report.transitions.order_by("id")


def find_notice(*, report: ParkingReport) -> ParkingNotice | None:
    """The notice issued for a report, if any."""
    return ParkingNotice.objects.filter(report=report).select_related("issued_by").first()


def find_notice_by_number(*, number: str) -> ParkingNotice | None:
    """A notice by its printed number (for the verification page)."""
    return (
        ParkingNotice.objects.select_related("report__district", "issued_by")
        .filter(number=number)
        .first()
    )


def find_report_by_owner_code(*, code: str) -> ParkingReport | None:
    """A report by the random code in its owner link (public pages only)."""
    return (
        ParkingReport.objects.select_related("district", "unit", "photo", "reported_by")
        .filter(owner_code=code)
        .first()
    )
