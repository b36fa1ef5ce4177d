"""`transition`, the one place that changes a case's `status`, and the step clocks it runs.

In the same transaction it stops the clock of the step it leaves and starts the clock of the
step it enters (`STEP_OF_STATUS`): the due time comes from the category's limit on the
working calendar, and two timers are scheduled: `cases.step_warn` when 80 % of the clock's
span has run, `cases.step_overdue` at the due time. 缓办 (DEFERRED) stops the handling clock
and keeps the working time it had left; 恢复办理 starts it again with that time. 延期 pushes
the handling due time back by the approved hours.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from smartduty.cases import selectors
from smartduty.cases.events import case_ended
from smartduty.cases.models import Case, CaseTransition
from smartduty.cases.services.common import STEP_OVERDUE, STEP_WARN, SUBJECT, WARN_SHARE
from smartduty.cases.states import ALLOWED, STEP_OF_STATUS, TERMINAL, Action, Status, Step
from smartduty.cases.workcalendar import LimitUnit, WorkCalendar
from smartduty.kernel import fsm, timers
from smartduty.org.selectors import Actor, actor_name


def _marks(case: Case, action: Action, target: Status, now: datetime) -> dict[str, Any]:
    """What an action records on the case besides its clocks: 回退 returns it to the command
    centre, 返工 counts, 立案 and 结案 are stamped."""
    marks: dict[str, Any] = {}
    if action is Action.SEND_BACK:
        marks["unit"] = None  # back to the command centre, to dispatch again
    if action is Action.VERIFY_FAIL:
        marks["rework_count"] = case.rework_count + 1
    if action is Action.REGISTER and case.registered_at is None:
        marks["registered_at"] = now
    if target == Status.CLOSED:
        marks["closed_at"] = now
    return marks


def _span(calendar: WorkCalendar, unit: LimitUnit, start: datetime, seconds: float) -> datetime:
    if unit is LimitUnit.CLOCK_HOURS:
        return start + timedelta(seconds=seconds)
    return calendar.add(start, seconds)


def _start_clock(
    obj: Case, step: Step, now: datetime, calendar: WorkCalendar, seconds: float | None = None
) -> dict[str, Any]:
    """Fields that start `step`'s clock at `now` for its full limit (or `seconds` of it)."""
    amount, unit = obj.category.limit(step)
    total = calendar.limit_seconds(float(amount), unit) if seconds is None else seconds
    due = _span(calendar, unit, now, total)
    warn = _span(calendar, unit, now, total * WARN_SHARE)
    fields: dict[str, Any] = {
        "step": step,
        "step_started_at": now,
        "step_due_at": due,
        "step_left_seconds": None,
    }
    if step is Step.HANDLE:
        fields["handle_due_at"] = due
    _schedule_clock(obj.pk, obj.version, warn=warn, due=due)
    return fields


def _schedule_clock(pk: int, version: int, *, warn: datetime, due: datetime) -> None:
    # the version makes each clock's timers its own: a stale one finds a newer version, stops
    for kind, at in ((STEP_WARN, warn), (STEP_OVERDUE, due)):
        timers.schedule(
            kind=kind,
            subject_type=SUBJECT,
            subject_id=str(pk),
            due_at=at,
            dedupe_key=f"{kind}:{pk}:{version}",
        )


def _stop_clock(pk: int) -> None:
    for kind in (STEP_WARN, STEP_OVERDUE):
        timers.cancel(kind=kind, subject_type=SUBJECT, subject_id=str(pk))


_CLEARED: Final = {"step": "", "step_started_at": None, "step_due_at": None}


def transition(
    case: Case,
    action: Action,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
    changes: dict[str, Any] | None = None,
    extra_hours: Decimal | None = None,
) -> Case:
    """Move a case along `states.ALLOWED` and run its clocks (see the module docstring)."""
    joined = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if joined else transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
        if expected_version is not None and locked.version != expected_version:
            raise fsm.InvalidTransition("案件已被他人更新，请刷新后重试")
        source = Status(locked.status)
        moved_to = fsm.next_status(ALLOWED, source, action)
        if moved_to is None:
            raise fsm.InvalidTransition(
                f"案件当前为“{source.label}”，不能“{action.label}”，请刷新后重试"
            )
        target = Status(moved_to)
        now = timezone.now()
        calendar = selectors.work_calendar()
        fields: dict[str, Any] = dict(changes or {})
        locked.version += 1  # the clocks below are keyed on the new version
        _stop_clock(locked.pk)
        if action is Action.DEFER:
            assert locked.step_due_at is not None  # noqa: S101 - DISPATCHED runs the clock
            _, unit = locked.category.limit(Step.HANDLE)
            fields.update(_CLEARED)
            fields["step_left_seconds"] = calendar.elapsed(now, locked.step_due_at, unit)
        elif action is Action.RESUME:
            left = locked.step_left_seconds or 0.0
            fields.update(_start_clock(locked, Step.HANDLE, now, calendar, seconds=left))
        elif action is Action.EXTEND:
            assert locked.step_due_at is not None  # noqa: S101 - DISPATCHED runs the clock
            hours = float(extra_hours or 0)
            base = max(locked.step_due_at, now)
            due = calendar.add(base, hours * 3600)
            warn = calendar.add(now, calendar.between(now, due) * WARN_SHARE)
            _schedule_clock(locked.pk, locked.version, warn=warn, due=due)
            fields.update({"step_due_at": due, "handle_due_at": due})
            fields["extension_count"] = locked.extension_count + 1
        elif target in STEP_OF_STATUS:
            fields.update(_start_clock(locked, STEP_OF_STATUS[target], now, calendar))
        else:
            fields.update(_CLEARED)
        fields.update(_marks(locked, action, target, now))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.status = target
        locked.save()
        CaseTransition.objects.create(
            case=locked,
            at=now,
            action=action,
            from_status=source,
            to_status=target,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=actor_name(actor),
            reason=reason[:200],
        )
        if target in TERMINAL and source not in TERMINAL:
            case_ended.send(sender=Case, case=locked)
    return locked
