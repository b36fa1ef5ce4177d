"""Timer kinds of the Open311 app, registered from `Open311Config.ready()`."""

from __future__ import annotations

from smartduty.kernel.models import Timer
from smartduty.kernel.timers import register_timer_kind
from smartduty.open311 import services


def on_erase_contact(timer: Timer) -> None:
    """`open311.erase_contact`: an ended case's retention period ran out (idempotent)."""
    services.erase_contact(report_id=int(timer.subject_id))


def register() -> None:
    register_timer_kind(services.ERASE_CONTACT, on_erase_contact)
