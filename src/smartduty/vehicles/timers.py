"""Timer kinds of the vehicles app, registered from `VehiclesConfig.ready()`."""

from __future__ import annotations

from smartduty.kernel.models import Timer
from smartduty.kernel.timers import register_timer_kind
from smartduty.vehicles.services import imports


def on_import_watch(timer: Timer) -> None:
    """`vehicles.import_watch`: requeue an import that stopped making progress (idempotent)."""
    imports.watch_import(job_id=int(timer.subject_id))


def register() -> None:
    """Register every vehicles timer kind."""
    register_timer_kind(imports.IMPORT_WATCH, on_import_watch)
