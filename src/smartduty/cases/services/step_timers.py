"""The step timers (`cases.step_warn`, `cases.step_overdue`): a timeline entry, the overdue
step in `overdue_steps` (so the case is not 按期 whatever happens next), and an app push to
the people who must act."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Final

from django.db import transaction
from django.utils import timezone

from smartduty.cases import selectors
from smartduty.cases.models import Case, CaseTransition
from smartduty.cases.services.common import SUBJECT, timeline
from smartduty.cases.states import TERMINAL, Action, Step
from smartduty.cases.workcalendar import LimitUnit
from smartduty.notifications import services as outbox
from smartduty.notifications.ports import Channel as MessageChannel
from smartduty.notifications.templates import CASE_STEP_ALERT
from smartduty.org.selectors import list_nearest_officers_with_role
from smartduty.org.states import Role


def clock_version(dedupe_key: str | None) -> int | None:
    """The case version a step timer belongs to: the last part of its dedupe key
    (`<kind>:<case pk>:<version>`, written by `transitions._schedule_clock`); None for
    another shape."""
    tail = (dedupe_key or "").rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def handle_step_timer(*, case_id: int, overdue: bool, version: int | None = None) -> None:
    """`cases.step_warn` / `cases.step_overdue` (idempotent): a timeline entry, for the due
    time the step in `overdue_steps`, and an app push to the people who must act
    (`_alert_step`), all in one transaction. Nothing happens when the clock was stopped or
    the case moved on since the timer was set (`version`, from `clock_version`), and nothing
    twice for one clock."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))  # unit is a nullable (outer) join
            .select_related("category", "district", "unit")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.status in TERMINAL or not case.step:
            return
        if version is not None and version != case.version:
            return  # a stale clock: the case moved on (its timers were cancelled then)
        now = timezone.now()
        if case.step_due_at is None or (overdue and now < case.step_due_at):
            return
        step = Step(case.step)
        entry = "step_overdue" if overdue else "step_warned"
        if _clock_noted(case, entry):
            return
        due = timezone.localtime(case.step_due_at)
        if overdue:
            if step not in case.overdue_steps:
                case.overdue_steps = [*case.overdue_steps, step.value]
                case.save(update_fields=["overdue_steps"])
            timeline(case, entry, f"{step.label}已到，案件超时")
        else:
            timeline(case, entry, f"{step.label}即将到期（{due:%m-%d %H:%M}）")
        _alert_step(case, step, overdue=overdue, now=now)


def _clock_noted(case: Case, entry: str) -> bool:
    """Has the running clock already written `entry`? Every change of `version` writes one
    timeline row of an `Action`, so the clock's rows are those after the last such row."""
    rows = CaseTransition.objects.filter(case=case)
    started = rows.filter(action__in=Action.values).order_by("-id").values_list("id", flat=True)
    return rows.filter(action=entry, id__gt=started.first() or 0).exists()


def _alert_step(case: Case, step: Step, *, overdue: bool, now: datetime) -> None:
    """The step alert as app pushes, in the caller's transaction: for 派遣 and 核查 to each
    指挥中心 officer of the nearest command level of the case's district; for 处置 to the
    case's unit (its 中队长 and 队员 see the unit's pushes in their inbox). One delivery per
    recipient and clock (dedupe key with the case's version)."""
    if step is Step.HANDLE:
        addresses = [str(case.unit.public_id)] if case.unit is not None else []
    else:
        officers = list_nearest_officers_with_role(district=case.district, role=Role.COMMAND)
        addresses = [str(officer.public_id) for officer in officers]
    if not addresses:
        return
    params = _step_alert_params(case, step, overdue=overdue, now=now)
    kind = "overdue" if overdue else "warn"
    for address in addresses:
        outbox.request(
            channel=MessageChannel.APP_PUSH,
            address=address,
            template_code=CASE_STEP_ALERT,
            params=params,
            signature="",
            subject_type=SUBJECT,
            subject_id=str(case.pk),
            dedupe_key=f"cases:{case.pk}:{step.value}:{kind}:v{case.version}:{address}",
        )


def _step_alert_params(case: Case, step: Step, *, overdue: bool, now: datetime) -> dict[str, str]:
    """`SD_APP_002`'s values (each 1-35 plain characters; user-typed text cleaned, cut)."""
    assert case.step_due_at is not None  # noqa: S101 - a running clock has a due time
    due = f"{timezone.localtime(case.step_due_at):%m-%d %H:%M}"
    if overdue:
        title, when = f"{step.label}已超时", f"已于{due}到期，请尽快办理"
    else:
        _, unit = case.category.limit(step)
        left = selectors.work_calendar().elapsed(now, case.step_due_at, unit)
        clock = "" if unit is LimitUnit.CLOCK_HOURS else "工作时间"
        title, when = f"{step.label}预警", f"剩余{clock}{_duration(left)}，{due}到期"
    return {
        "title": title,
        "number": case.number,
        "category": _plain(case.category.name, 16) or case.category.code,
        "place": _plain(case.place, 12) or _plain(case.district.name, 12) or "未填地点",
        "when": when,
    }


def _duration(seconds: float) -> str:
    """`1小时36分`, `16分钟` (at least one minute)."""
    minutes = max(1, round(seconds / 60))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}分钟"
    return f"{hours}小时{rest}分" if rest else f"{hours}小时"


_HIDDEN: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
"""Unicode categories dropped from user text put in a message (as `kernel.text` refuses)."""


def _plain(text: str, limit: int) -> str:
    """User-typed text fit for a message template: no hidden characters, no 【】 or `${`
    (the template rules), whitespace collapsed, at most `limit` characters (… when cut)."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in _HIDDEN)
    kept = " ".join(kept.replace("【", "").replace("】", "").replace("${", "$").split())
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"
