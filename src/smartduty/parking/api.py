"""Parking endpoints: the whole loop from photo to closed case."""

from __future__ import annotations

import logging
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status, UploadedFile

from smartduty.kernel.errors import NotFound, ServiceUnavailable, ValidationFailed
from smartduty.org.auth import officer_of, principal_of
from smartduty.org.models import Officer
from smartduty.org.selectors import get_district
from smartduty.parking import notices, selectors, services
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.parking.notice_pdf import NoticeFontMissing
from smartduty.parking.schemas import (
    ClosePhotoIn,
    NoticeIn,
    PlateIn,
    RecheckIn,
    ReportCreateIn,
    ReportFilter,
    ReportOut,
    TransitionIn,
    TransitionOut,
)
from smartduty.parking.states import NoticeLayout, RecheckOutcome

router = Router(tags=["parking"])
logger = logging.getLogger("smartduty.parking")
NOTICE_FONT_MISSING = "服务器缺少中文字体，暂时无法生成提示单，请联系管理员安装 fonts-wqy-microhei"


def _officer(request: HttpRequest) -> Officer:
    officer = officer_of(request)
    if officer is None:
        raise ValidationFailed("当前账号未绑定执法人员，不能办理违停")
    return officer


def _report(request: HttpRequest, public_id: UUID) -> ParkingReport:
    return selectors.get_report(principal=principal_of(request), public_id=public_id)


@router.post("/parking-reports", response={200: ReportOut, 201: ReportOut})
def create_report(
    request: HttpRequest, file: File[UploadedFile], form: Form[ReportCreateIn]
) -> Status[ParkingReport]:
    """Report an illegally parked car with its photo. With `plate`, the owner is texted at once.

    Repeating a request with the same `idempotency_key` returns the first report (200).
    """
    principal = principal_of(request)
    officer = _officer(request)
    district = (
        get_district(principal=principal, public_id=form.district_id)
        if form.district_id
        else officer.unit.district
    )
    result = services.report_illegal_parking(
        principal=principal,
        officer=officer,
        district=district,
        photo=file,
        filename=file.name or "photo",
        plate=form.plate,
        plate_read=form.plate_read,
        plate_confidence=form.plate_confidence,
        place=form.place,
        lat=form.lat,
        lon=form.lon,
        accuracy_m=form.accuracy_m,
        idempotency_key=form.idempotency_key,
        captured_at=form.captured_at,
    )
    if not result.created:
        return Status(
            200, selectors.get_report(principal=principal, public_id=result.report.public_id)
        )
    report = result.report  # its district, unit, officer and photo are loaded
    ParkingReport.notice.related.set_cached_value(report, None)  # a new report has no notice
    return Status(201, report)


@router.get("/parking-reports", response=list[ReportOut])
def list_reports(request: HttpRequest, filters: Query[ReportFilter]) -> list[ParkingReport]:
    """Reports of my subtree, newest first (`mine=true`: only my own)."""
    principal = principal_of(request)
    officer_id = principal.officer_id if filters.mine else None
    qs = selectors.list_reports(
        principal=principal, status=filters.status, mine_officer_id=officer_id
    )
    return list(qs[: filters.limit])


@router.get("/parking-reports/{public_id}", response=ReportOut)
def get_report(request: HttpRequest, public_id: UUID) -> ParkingReport:
    """One report."""
    return _report(request, public_id)


@router.post("/parking-reports/{public_id}/plate", response=ReportOut)
def confirm_plate(request: HttpRequest, public_id: UUID, payload: PlateIn) -> ParkingReport:
    """Confirm or correct the plate; this texts the owner (or marks duplicate / owner unknown)."""
    principal = principal_of(request)
    services.confirm_plate(
        principal=principal,
        actor=request.user,
        report=_report(request, public_id),
        plate=payload.plate,
        place=payload.place,
        expected_version=payload.version,
    )
    return _report(request, public_id)


@router.post("/parking-reports/{public_id}/transitions", response=ReportOut)
def create_transition(
    request: HttpRequest, public_id: UUID, payload: TransitionIn
) -> ParkingReport:
    """Request a status change: `confirm_moved` (car gone early) or `void` (中队长 only)."""
    services.apply_officer_action(
        principal=principal_of(request),
        actor=request.user,
        report=_report(request, public_id),
        action=payload.action,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _report(request, public_id)


@router.post("/parking-reports/{public_id}/recheck", response=ReportOut)
def recheck(
    request: HttpRequest, public_id: UUID, file: File[UploadedFile], form: Form[RecheckIn]
) -> ParkingReport:
    """Second photo at the place: `gone` → 劝离成功; `still_there` → a notice is issued."""
    services.recheck(
        principal=principal_of(request),
        officer=_officer(request),
        report=_report(request, public_id),
        photo=file,
        filename=file.name or "recheck",
        outcome=RecheckOutcome(form.outcome),
        plate_read=form.plate_read,
        lat=form.lat,
        lon=form.lon,
        accuracy_m=form.accuracy_m,
        expected_version=form.version,
    )
    return _report(request, public_id)


@router.post("/parking-reports/{public_id}/notice", response=ReportOut)
def issue_notice(request: HttpRequest, public_id: UUID, payload: NoticeIn) -> ParkingReport:
    """Owner unknown: issue the notice directly."""
    services.post_notice_without_owner(
        principal=principal_of(request),
        officer=_officer(request),
        report=_report(request, public_id),
        expected_version=payload.version,
    )
    return _report(request, public_id)


@router.get(
    "/parking-reports/{public_id}/notice.pdf",
    openapi_extra={
        "responses": {
            200: {
                "description": "文明停车提示单 PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_notice_pdf(
    request: HttpRequest, public_id: UUID, layout: NoticeLayout = NoticeLayout.A6
) -> HttpResponse:
    """The printable notice (`layout=a6` or `thermal80`) with embedded CJK font and QR code.

    Without a usable CJK font (`manage.py check` reports it as `smartduty.E001`) it answers
    503 with a Chinese message instead of printing squares or failing with 500.
    """
    report = _report(request, public_id)
    notice = selectors.find_notice(report=report)
    if notice is None:
        raise NotFound("该上报尚未开具提示单")
    try:
        pdf = notices.render(report=report, notice=notice, layout=NoticeLayout(layout))
    except NoticeFontMissing as exc:
        logger.error("notice PDF not rendered: %s", exc)
        raise ServiceUnavailable(NOTICE_FONT_MISSING) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.number}.pdf"'
    return response


@router.post("/parking-reports/{public_id}/notice-photo", response=ReportOut)
def close_with_photo(
    request: HttpRequest, public_id: UUID, file: File[UploadedFile], form: Form[ClosePhotoIn]
) -> ParkingReport:
    """Photo of the posted notice: closes the case."""
    services.close_with_notice_photo(
        principal=principal_of(request),
        officer=_officer(request),
        report=_report(request, public_id),
        photo=file,
        filename=file.name or "notice",
        lat=form.lat,
        lon=form.lon,
        accuracy_m=form.accuracy_m,
        expected_version=form.version,
    )
    return _report(request, public_id)


@router.get("/parking-reports/{public_id}/timeline", response=list[TransitionOut])
def get_timeline(request: HttpRequest, public_id: UUID) -> list[ParkingTransition]:
    """Every step of the case: who, when, what, why."""
    return list(selectors.list_timeline(report=_report(request, public_id)))
