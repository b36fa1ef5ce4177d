"""Building the printable 文明停车提示单 of a report."""

from __future__ import annotations

from smartduty.evidence.services import open_display
from smartduty.kernel.errors import DomainError
from smartduty.parking import links
from smartduty.parking.models import ParkingNotice, ParkingReport
from smartduty.parking.notice_pdf import Layout, NoticeData, render_notice_pdf
from smartduty.parking.states import NoticeLayout


def notice_data(*, report: ParkingReport, notice: ParkingNotice) -> NoticeData:
    """Everything the PDF prints, taken from the report, its notice and its photo."""
    try:
        photo = open_display(photo=report.photo)
    except DomainError:
        photo = None  # a missing display copy must not stop the officer from printing
    token = links.make_notice_token(notice.number, report.public_id, report.plate or "未识别")
    district = report.district
    city = district
    while city.parent is not None:
        city = city.parent
    return NoticeData(
        number=notice.number,
        plate=report.plate or "未识别",
        place=report.place or district.name,
        observed_at=report.created_at,
        notified_at=report.owner_notified_at,
        deadline_at=report.deadline_at,
        officer_badge=notice.issued_by.badge_number,
        officer_name=notice.issued_by.name,
        unit_name=report.unit.name,
        district_name=district.name,
        city_name=city.name,
        photo_jpeg=photo,
        verify_url=links.notice_url(token),
    )


def render(*, report: ParkingReport, notice: ParkingNotice, layout: NoticeLayout) -> bytes:
    """The notice as PDF bytes in the chosen layout."""
    chosen: Layout = "thermal80" if layout == NoticeLayout.THERMAL80 else "a6"
    return render_notice_pdf(notice_data(report=report, notice=notice), layout=chosen)
