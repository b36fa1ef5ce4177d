"""The owner SMS under the district's policy: quiet hours, daily caps, and the one reminder.

`plan_owner_sms` decides, for a confirmed plate with a known owner, whether to text now, text
at the end of quiet hours (the move window then starts when the SMS is due, so the durable
deadline is scheduled relative to the send time), or send nothing and let the officer post
the notice (quiet hours in the `notice` mode, or a daily cap reached). `services` applies the
plan through `transition()`, in the transaction that confirmed the plate.

Caps, counted per local calendar day (`settings.TIME_ZONE`):
- per number: reports whose owner SMS went to the same phone, compared on the outbox's keyed
  digest (`Delivery.recipient_digest`, under every field key), never on the plain number;
- per officer: reports of the reporting officer that texted an owner (`notify_owner` steps).
Over a cap the report is not refused: the car is still parked there and the photo is
evidence, so the report goes to the notice path with the reason in its timeline.

The reminder (`parking.owner_reminder`) is a timer scheduled with the deadline, at the
policy's point of the window; its handler texts the same number once (dedupe key) and only
while the report still awaits the move and outside quiet hours. Leaving `awaiting_move`
cancels the reminder timer, and for a moved or voided car an SMS deferred to the end of quiet
hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.crypto import decrypt_text
from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications import services as outbox
from smartduty.notifications.addresses import normalise_address
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.notifications.selectors import count_subjects_texted
from smartduty.notifications.states import DeliveryStatus
from smartduty.notifications.templates import MOVE_REMINDER_SMS, format_window
from smartduty.parking import shortlinks, sms
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.parking.states import SUBJECT, Action, Status
from smartduty.policy.models import QuietHoursMode
from smartduty.policy.quiet_hours import describe, quiet_until
from smartduty.policy.selectors import EffectivePolicy, get_effective_policy
from smartduty.vehicles.ports import OwnerContact

OWNER_REMINDER = "parking.owner_reminder"
"""Timer kind: the policy's point of the move window; text the owner once more."""


def owner_sms_key(report_id: int) -> str:
    """Dedupe key of a report's owner SMS (one per report)."""
    return f"parking:{report_id}:owner_sms"


def reminder_key(report_id: int) -> str:
    """Dedupe key of a report's reminder SMS (one per report, however often the timer fires)."""
    return f"parking:{report_id}:owner_reminder"


@dataclass(frozen=True)
class Skip:
    """Send nothing: the officer posts the notice; `reason` goes to the timeline."""

    reason: str


@dataclass(frozen=True)
class Send:
    """Text the owner at `send_at` (now, or the end of quiet hours); the deadline follows."""

    send_at: datetime
    deadline_at: datetime
    deferred: bool
    reason: str


def plan_owner_sms(
    *,
    report: ParkingReport,
    policy: EffectivePolicy,
    contact: OwnerContact,
    now: datetime,
) -> Skip | Send:
    """What the policy says about texting `contact` for `report` at `now`."""
    quiet_end = quiet_until(policy.quiet_hours_start, policy.quiet_hours_end, now)
    window = format_window(policy.move_window_seconds)
    period = ""
    if quiet_end is not None:
        assert policy.quiet_hours_start is not None  # noqa: S101 - quiet_until needs both
        assert policy.quiet_hours_end is not None  # noqa: S101
        period = describe(policy.quiet_hours_start, policy.quiet_hours_end)
        if policy.quiet_hours_mode == QuietHoursMode.NOTICE:
            return Skip(f"静默时段（{period}）：请直接张贴提示单（本辖区此时段不发短信）")
    texted = count_reports_texting_today(phone=contact.phone, now=now)
    if texted >= policy.daily_sms_cap_per_number:
        return Skip(
            f"车主号码 {contact.masked} 今日已收到 {texted} 起上报的挪车短信"
            f"（每日上限 {policy.daily_sms_cap_per_number} 起）：不再发送，请直接张贴提示单"
        )
    mine = count_officer_texts_today(officer_id=report.reported_by_id, now=now)
    if mine >= policy.daily_sms_cap_per_officer:
        return Skip(
            f"上报人员今日已触发 {mine} 条挪车短信（每日上限 "
            f"{policy.daily_sms_cap_per_officer} 条）：不再发送，请直接张贴提示单"
        )
    send_at = quiet_end or now
    deadline_at = send_at + timedelta(seconds=policy.move_window_seconds)
    if quiet_end is None:
        return Send(
            send_at=now,
            deadline_at=deadline_at,
            deferred=False,
            reason=f"已向车主 {contact.masked} 发送挪车短信，时限 {window}",
        )
    at = timezone.localtime(quiet_end).strftime("%H:%M")
    return Send(
        send_at=send_at,
        deadline_at=deadline_at,
        deferred=True,
        reason=(
            f"静默时段（{period}）：短信将于 {at} 发送（车主 {contact.masked}），"
            f"挪车时限 {window} 自发送时起算"
        ),
    )


def _day_start(now: datetime) -> datetime:
    zone = timezone.get_default_timezone()
    return timezone.make_aware(
        datetime.combine(timezone.localtime(now, zone).date(), time.min), zone
    )


def count_reports_texting_today(*, phone: str, now: datetime) -> int:
    """Reports that texted this number since local midnight (cancelled messages not counted).

    Compared on the keyed digest under the current and fallback field keys; a number the
    outbox would refuse counts 0 (the request then refuses it with its own message).
    """
    try:
        address = normalise_address(Channel.SMS, phone)
    except ValidationFailed:
        return 0
    return count_subjects_texted(
        channel=Channel.SMS, address=address, subject_type=SUBJECT, since=_day_start(now)
    )


def count_officer_texts_today(*, officer_id: int, now: datetime) -> int:
    """The officer's reports that texted an owner since local midnight."""
    return ParkingTransition.objects.filter(
        action=Action.NOTIFY_OWNER,
        report__reported_by_id=officer_id,
        at__gte=_day_start(now),
    ).count()


def queue_owner_sms(
    *,
    report: ParkingReport,
    policy: EffectivePolicy,
    contact: OwnerContact,
    plan: Send,
) -> Delivery:
    """Queue the move-car SMS (due at `plan.send_at`) and, by policy, the reminder timer.

    In the caller's transaction, after the `notify_owner` step set the deadline.
    """
    params = sms.move_car_params(
        plate=report.plate,
        place=report.place or report.district.name,
        seen_at=report.created_at,
        window_seconds=policy.move_window_seconds,
        link=shortlinks.owner_link(report.owner_code),
        signature=policy.sms_signature,
    )
    delivery = outbox.request(
        channel=Channel.SMS,
        address=contact.phone,
        template_code=policy.sms_template_code,
        params=params,
        signature=policy.sms_signature,
        subject_type=SUBJECT,
        subject_id=str(report.pk),
        dedupe_key=owner_sms_key(report.pk),
        provider=policy.sms_provider,
        not_before=plan.send_at if plan.deferred else None,
    )
    if policy.reminder_at_percent:
        offset = policy.move_window_seconds * policy.reminder_at_percent // 100
        timers.schedule(
            kind=OWNER_REMINDER,
            subject_type=SUBJECT,
            subject_id=str(report.pk),
            due_at=plan.send_at + timedelta(seconds=offset),
            dedupe_key=f"{OWNER_REMINDER}:{report.pk}",
            policy_version=report.policy_version,
        )
    return delivery


def on_leave_awaiting_move(
    *, report_id: int, to_status: str, owner_notified_at: datetime | None
) -> None:
    """In the transaction leaving `awaiting_move`: no reminder any more, and for a car that
    moved or a voided report whose SMS waits for the end of quiet hours, no SMS.

    An SMS due already is left to the outbox (it goes within a second or so, and the owner's
    page says the case is finished).
    """
    timers.cancel(kind=OWNER_REMINDER, subject_type=SUBJECT, subject_id=str(report_id))
    waiting = owner_notified_at is not None and owner_notified_at > timezone.now()
    if waiting and to_status in (Status.MOVED, Status.VOID):
        outbox.cancel_pending(subject_type=SUBJECT, subject_id=str(report_id))


def send_reminder(*, report_id: int) -> Delivery | None:
    """Timer handler body: the reminder SMS, once, to the number the first SMS went to.

    Nothing for a report that left `awaiting_move` (moved, re-checked, voided …), whose first
    SMS failed or was cancelled, or inside quiet hours. Idempotent: a second firing finds the
    delivery by its dedupe key and queues nothing new.
    """
    with transaction.atomic():
        report = (
            ParkingReport.objects.select_for_update()
            .select_related("district")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.status != Status.AWAITING_MOVE or report.deadline_at is None:
            return None
        first = Delivery.objects.filter(dedupe_key=owner_sms_key(report.pk)).first()
        if (
            first is None
            or first.status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)
            or not first.recipient_encrypted
        ):
            return None
        policy = get_effective_policy(district=report.district)
        now = timezone.now()
        if quiet_until(policy.quiet_hours_start, policy.quiet_hours_end, now) is not None:
            return None
        params = sms.reminder_params(
            plate=report.plate,
            place=report.place or report.district.name,
            deadline_at=report.deadline_at,
            link=shortlinks.owner_link(report.owner_code),
            signature=first.signature,
        )
        return outbox.request(
            channel=Channel.SMS,
            address=decrypt_text(first.recipient_encrypted),
            template_code=MOVE_REMINDER_SMS,
            params=params,
            signature=first.signature,
            subject_type=SUBJECT,
            subject_id=str(report.pk),
            dedupe_key=reminder_key(report.pk),
            provider=first.provider,
        )
