"""Timer kinds of the parking app, registered from `ParkingConfig.ready()`."""

from __future__ import annotations

from smartduty.kernel.models import Timer
from smartduty.kernel.timers import register_timer_kind
from smartduty.parking import services


def on_move_deadline(timer: Timer) -> None:
    """`parking.move_deadline`: the owner's window passed (idempotent)."""
    services.handle_move_deadline(report_id=int(timer.subject_id))


def register() -> None:
    """Register every parking timer kind."""
    register_timer_kind(services.MOVE_DEADLINE, on_move_deadline)
