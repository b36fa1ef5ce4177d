"""Parking reads: lists, one report, its timeline, and look-ups used by services."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal
from smartduty.parking.models import ParkingNotice, ParkingReport, ParkingTransition
from smartduty.parking.states import Status

VIEW = "parking.view_parkingreport"
_DUPLICATE_TARGETS = (
    Status.AWAITING_MOVE,
    Status.AWAITING_RECHECK,
    Status.OWNER_UNKNOWN,
    Status.NOTICE_POSTED,
)


def list_reports(
    *, principal: Principal, status: str | None = None, mine_officer_id: int | None = None
) -> QuerySet[ParkingReport]:
    """Reports in the principal's subtree, newest first."""
    qs = ParkingReport.objects.visible_to(principal, VIEW).select_related(
        "district", "unit", "reported_by", "photo", "notice", "case"
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
