"""Timer kinds of the case core, registered from `CasesConfig.ready()`."""

from __future__ import annotations

from smartduty.cases import services
from smartduty.kernel.models import Timer
from smartduty.kernel.timers import register_timer_kind


def on_step_warn(timer: Timer) -> None:
    """`cases.step_warn`: 80 % of a step's clock has run (idempotent)."""
    services.handle_step_timer(
        case_id=int(timer.subject_id),
        overdue=False,
        version=services.clock_version(timer.dedupe_key),
    )


def on_step_overdue(timer: Timer) -> None:
    """`cases.step_overdue`: a step's limit ran out (idempotent)."""
    services.handle_step_timer(
        case_id=int(timer.subject_id),
        overdue=True,
        version=services.clock_version(timer.dedupe_key),
    )


def register() -> None:
    register_timer_kind(services.STEP_WARN, on_step_warn)
    register_timer_kind(services.STEP_OVERDUE, on_step_overdue)
