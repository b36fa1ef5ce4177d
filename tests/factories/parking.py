"""Factories for parking reports in any state, built through the real services."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from PIL import Image

from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.parking import services
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Action, RecheckOutcome, Status
from smartduty.vehicles import services as vehicles

OWNER_PHONE = "13800001234"


def jpeg_bytes(
    color: tuple[int, int, int] = (120, 130, 140), size: tuple[int, int] = (640, 480)
) -> bytes:
    """A small real JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def register_owner(officer: Officer, plate: str = "鲁PA12345", phone: str = OWNER_PHONE) -> None:
    """Put a vehicle with an owner phone into the registry."""
    vehicles.register_vehicle(
        district=officer.unit.district, plate=plate, owner_name="张三", owner_phone=phone
    )


def make_report(
    officer: Officer,
    *,
    plate: str = "鲁PA12345",
    confirm: bool = False,
    place: str = "人民路88号",
    lat: float | None = 36.45,
    lon: float | None = 115.98,
    **kwargs: Any,
) -> ParkingReport:
    """A report from a generated photo; with `confirm=True` the plate is confirmed too."""
    principal = org_services.principal_for_user(officer.user)
    result = services.report_illegal_parking(
        principal=principal,
        officer=officer,
        district=officer.unit.district,
        photo=jpeg_bytes(),
        filename="scene.jpg",
        plate=plate if confirm else "",
        plate_read=kwargs.pop("plate_read", plate),
        place=place,
        lat=lat,
        lon=lon,
        **kwargs,
    )
    return result.report


def report_in(status: Status, officer: Officer, *, plate: str = "鲁PA12345") -> ParkingReport:  # noqa: PLR0911 - one exit per state
    """A report brought into `status` by the same steps production uses."""
    principal = org_services.principal_for_user(officer.user)
    user = officer.user
    if status == Status.REPORTED:
        return make_report(officer, plate=plate)
    if status == Status.OWNER_UNKNOWN:
        return make_report(officer, plate=plate, confirm=True)
    if status == Status.DUPLICATE:
        register_owner(officer, plate)
        make_report(officer, plate=plate, confirm=True)
        return make_report(officer, plate=plate, confirm=True)
    if status == Status.VOID:
        report = make_report(officer, plate=plate)
        return services.transition(report, Action.VOID, actor=user, reason="测试")
    register_owner(officer, plate)
    report = make_report(officer, plate=plate, confirm=True)
    if status == Status.AWAITING_MOVE:
        return report
    if status == Status.MOVED:
        return services.transition(
            report, Action.CONFIRM_MOVED, actor=user, changes={"moved_at": timezone.now()}
        )
    services.handle_move_deadline(report_id=report.pk)
    report.refresh_from_db()
    if status == Status.AWAITING_RECHECK:
        return report
    report = services.recheck(
        principal=principal,
        officer=officer,
        report=report,
        photo=jpeg_bytes((10, 20, 30)),
        filename="recheck.jpg",
        outcome=RecheckOutcome.STILL_THERE,
    )
    if status == Status.NOTICE_POSTED:
        return report
    assert status == Status.CLOSED
    return services.close_with_notice_photo(
        principal=principal,
        officer=officer,
        report=report,
        photo=jpeg_bytes((200, 200, 200)),
        filename="posted.jpg",
    )
