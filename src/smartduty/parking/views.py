"""Pages opened by the public: the owner page (from the SMS) and notice verification (QR).

No login: the signed token in the URL is the permission. Pages are server-rendered, carry a
strict Content-Security-Policy and never show the owner's phone number.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from smartduty.evidence.services import open_display
from smartduty.kernel.errors import DomainError
from smartduty.parking import links, selectors, shortlinks
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status

CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

NEXT_STEPS = {
    Status.AWAITING_MOVE: (
        "请在倒计时结束前将车辆驶离。驶离后无需任何操作，执法人员复查时会确认。"
    ),
    Status.AWAITING_RECHECK: (
        "挪车时限已到，执法人员将到场复查。如车辆仍在原处，将张贴文明停车提示单。"
    ),
    Status.MOVED: "车辆已驶离，感谢您的配合！本次提醒不产生任何处罚记录。",
    Status.NOTICE_POSTED: (
        "车辆未在时限内驶离，已张贴文明停车提示单。请尽快驶离，并在规划泊位内停放。"
    ),
    Status.CLOSED: "本次提醒已办结。",
    Status.DUPLICATE: "该车辆已有一条正在处理的提醒，请以最早收到的短信为准。",
    Status.VOID: "本次提醒已撤销，给您带来不便，敬请谅解。",
    Status.OWNER_UNKNOWN: "已张贴文明停车提示单，请尽快驶离。",
    Status.REPORTED: "执法人员正在核实车辆信息。",
}


def _secure(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = CSP
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _report_for_token(token: str) -> ParkingReport:
    code = shortlinks.code_from_token(token)
    report = selectors.find_report_by_owner_code(code=code) if code else None
    too_old = report is not None and timezone.now() - report.created_at > timedelta(
        days=shortlinks.OWNER_LINK_DAYS
    )
    if report is None or too_old:
        raise Http404("链接无效或已过期")
    return report


@require_GET
def owner_page(request: HttpRequest, token: str) -> HttpResponse:
    """What the owner sees after tapping the SMS link."""
    try:
        report = _report_for_token(token)
    except Http404:
        response = render(request, "parking/link_invalid.html", status=404)
        return _secure(response)
    notice = selectors.find_notice(report=report)
    context = {
        "report": report,
        "token": token,
        "status_label": Status(report.status).label,
        "next_step": NEXT_STEPS[Status(report.status)],
        "counting": report.status == Status.AWAITING_MOVE and report.deadline_at is not None,
        "deadline_iso": report.deadline_at.isoformat() if report.deadline_at else "",
        "notice": notice,
        "signature": "城市管理执法",
    }
    return _secure(render(request, "parking/owner.html", context))


@require_GET
def owner_photo(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001
    """The watermarked photo for the owner page (never the original)."""
    report = _report_for_token(token)
    try:
        data = open_display(photo=report.photo)
    except DomainError as exc:
        raise Http404("照片不可用") from exc
    return _secure(HttpResponse(data, content_type="image/jpeg"))


@require_GET
def verify_notice(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code on a printed notice: genuine (with the case) or forged."""
    try:
        claim = links.verify_notice_token(token)
    except links.LinkError:
        return _secure(render(request, "parking/notice_forged.html", status=404))
    notice = selectors.find_notice_by_number(number=claim.number)
    genuine = (
        notice is not None
        and notice.report.public_id == claim.report_public_id
        and (notice.report.plate or "未识别") == claim.plate
    )
    if not genuine or notice is None:
        return _secure(render(request, "parking/notice_forged.html", status=404))
    report = notice.report
    context = {
        "notice": notice,
        "report": report,
        "status_label": Status(report.status).label,
        "owner_link": f"/o/{shortlinks.owner_token(report.owner_code)}",
    }
    return _secure(render(request, "parking/notice_genuine.html", context))
