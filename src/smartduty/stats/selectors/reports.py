"""Reads of the stored daily case reports, scoped like the cases they count."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from smartduty.cases.selectors import VIEW_CASE
from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal
from smartduty.org.selectors import get_district
from smartduty.stats.models import CaseReport, CaseReportStatus


def list_case_reports(
    *, principal: Principal, district_id: UUID | None = None, ready_only: bool = True
) -> QuerySet[CaseReport]:
    """Reports of districts in my subtree, newest day first (one district's: `district_id`,
    a district out of scope is `NotFound`). Needs `cases.view_case`."""
    rows = CaseReport.objects.visible_to(principal, VIEW_CASE).select_related("district")
    if district_id is not None:
        rows = rows.filter(district=get_district(principal=principal, public_id=district_id))
    return rows.filter(status=CaseReportStatus.READY) if ready_only else rows


def get_case_report(*, principal: Principal, public_id: UUID) -> CaseReport:
    """One generated report in my subtree (404 otherwise)."""
    report = list_case_reports(principal=principal).filter(public_id=public_id).first()
    if report is None:
        raise NotFound("未找到该日报，或不在您的辖区范围内")
    return report
