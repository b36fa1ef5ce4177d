"""Timer kinds of the parking app, registered from `ParkingConfig.ready()`."""

from __future__ import annotations

from smartduty.kernel.models import Timer
from smartduty.kernel.timers import register_timer_kind
from smartduty.parking import owner_sms, retention, services


def on_move_deadline(timer: Timer) -> None:
    """`parking.move_deadline`: the owner's window passed (idempotent)."""
    services.handle_move_deadline(report_id=int(timer.subject_id))


def on_owner_reminder(timer: Timer) -> None:
    """`parking.owner_reminder`: the policy's point of the window; remind the owner once
    (idempotent: nothing after the car moved, nothing twice)."""
    owner_sms.send_reminder(report_id=int(timer.subject_id))


def on_erase_owner_contact(timer: Timer) -> None:
    """`parking.erase_owner_contact`: the retention period of a finished case ended."""
    retention.erase_owner_contact(report_id=int(timer.subject_id))


def register() -> None:
    """Register every parking timer kind."""
    register_timer_kind(services.MOVE_DEADLINE, on_move_deadline)
    register_timer_kind(owner_sms.OWNER_REMINDER, on_owner_reminder)
    register_timer_kind(retention.ERASE_OWNER_CONTACT, on_erase_owner_contact)
