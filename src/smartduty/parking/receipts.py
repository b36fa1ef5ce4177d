"""What parking does when the vendor reports on the owner SMS (receivers, wired in `ready()`).

`notifications` sends `delivery_delivered` / `delivery_undelivered` once per delivery, in the
transaction that recorded the vendor's report. For a parking report's owner SMS:

- delivered: a timeline note 短信已送达 (the report's and its case's timeline);
- undelivered: a timeline note 短信未送达车主（原因…）, and while the report still waits for the
  car to move (`awaiting_move`), an app push to the reporting officer at once, so that the
  notice can be posted without waiting out the window. One push per delivery (dedupe key).

Notes are rows that leave the status as it is (`from_status == to_status`), the way the case
core writes its step warnings; they are not moves of `states.ALLOWED`. Vendor text is
untrusted: it is cleaned and cut here, and shown as text by the front ends.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from smartduty.cases.models import Case
from smartduty.cases.services.common import timeline as case_timeline
from smartduty.notifications import services as outbox
from smartduty.notifications.events import delivery_delivered, delivery_undelivered
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.notifications.templates import APP_NOTICE, VARIABLE_MAX_CHARS
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.parking.states import SUBJECT, Status

SMS_DELIVERED: Final = "sms_delivered"
"""Timeline action of the note 短信已送达."""
SMS_UNDELIVERED: Final = "sms_undelivered"
"""Timeline action of the note 短信未送达车主."""
NOTE_ACTIONS: Final = frozenset({SMS_DELIVERED, SMS_UNDELIVERED})
PUSH_TITLE: Final = "短信未送达车主"
_HIDDEN: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
REASON_CHARS: Final = 40


def connect() -> None:
    """Connect the receivers (from `ParkingConfig.ready()`)."""
    delivery_delivered.connect(on_delivered, sender=Delivery, dispatch_uid="parking.sms_delivered")
    delivery_undelivered.connect(
        on_undelivered, sender=Delivery, dispatch_uid="parking.sms_undelivered"
    )


def plain(text: str, limit: int) -> str:
    """Vendor text fit for a timeline row or a template value: no hidden characters, no 【】
    or `${`, whitespace collapsed, at most `limit` characters (… when cut)."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in _HIDDEN)
    kept = " ".join(kept.replace("【", "").replace("】", "").replace("${", "$").split())
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def reason_of(delivery: Delivery) -> str:
    """Why the SMS did not arrive, as the vendor put it: `说明（状态码）`, or either one."""
    description = plain(delivery.receipt_description, REASON_CHARS)
    code = plain(delivery.receipt_code, 24)
    if description and code and code not in description:
        return f"{description}（{code}）"
    return description or code or "未知原因"


def _owner_report(delivery: Delivery) -> ParkingReport | None:
    if delivery.subject_type != SUBJECT or delivery.channel != Channel.SMS:
        return None
    try:
        pk = int(delivery.subject_id)
    except ValueError:
        return None
    return (
        ParkingReport.objects.select_for_update(of=("self",))
        .select_related("reported_by", "district")
        .filter(pk=pk)
        .first()
    )


def _note(report: ParkingReport, action: str, reason: str) -> None:
    ParkingTransition.objects.create(
        report=report,
        action=action,
        from_status=report.status,
        to_status=report.status,
        actor=None,
        actor_name="系统",
        reason=reason[:200],
    )
    if report.case_id is not None:
        case = Case.objects.filter(pk=report.case_id).first()
        if case is not None:
            case_timeline(case, action, reason[:200])


def _at(delivery: Delivery) -> str:
    moment = delivery.receipt_at or timezone.now()
    return f"{timezone.localtime(moment):%H:%M}"


def on_delivered(sender: Any, *, delivery: Delivery, **kwargs: Any) -> None:  # noqa: ARG001
    """The owner SMS reached the phone: a note on the timeline."""
    with transaction.atomic():
        report = _owner_report(delivery)
        if report is None:
            return
        _note(report, SMS_DELIVERED, f"短信已送达车主（{_at(delivery)}）")


def on_undelivered(sender: Any, *, delivery: Delivery, **kwargs: Any) -> None:  # noqa: ARG001
    """The owner SMS did not arrive: a note, and while the car may still move, a push to the
    reporting officer that the notice can be posted now."""
    with transaction.atomic():
        report = _owner_report(delivery)
        if report is None:
            return
        reason = reason_of(delivery)
        waiting = report.status == Status.AWAITING_MOVE
        note = f"短信未送达车主（原因：{reason}，{_at(delivery)}）"
        _note(report, SMS_UNDELIVERED, note + ("，可直接张贴提示单" if waiting else ""))
        if waiting:
            _push_officer(report, delivery, reason)


def push_body(plate: str, reason: str) -> str:
    """`鲁A12345（原因：空号），可直接张贴提示单`, cut to the template's value limit."""
    tail = "），可直接张贴提示单"
    head = f"{plate or '未确认车牌'}（原因："
    room = VARIABLE_MAX_CHARS - len(head) - len(tail)
    short = plain(reason, max(room, 2))
    return (head + short + tail)[:VARIABLE_MAX_CHARS]


def _push_officer(report: ParkingReport, delivery: Delivery, reason: str) -> None:
    outbox.request(
        channel=Channel.APP_PUSH,
        address=str(report.reported_by.public_id),
        template_code=APP_NOTICE,
        params={"title": PUSH_TITLE, "body": push_body(report.plate, reason)},
        signature="智慧勤务",
        subject_type=SUBJECT,
        subject_id=str(report.pk),
        dedupe_key=f"parking:{report.pk}:sms_undelivered:{delivery.public_id}",
    )
