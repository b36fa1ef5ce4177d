"""Statuses, actions and the one transition table of a 数字城管 case (GB/T 30428.8).

The 7-step loop: 上报 (REPORTED) → 立案 (REGISTERED) → 派遣 (DISPATCHED) → 处置 (HANDLED, the
handler's after-photo and note) → 核查 (pass: CLOSED; fail: 返工, back to DISPATCHED) → 结案 →
评价 (EVALUATED). Side exits: 不予立案, 重复, 作废; approvals for 回退, 延期, 缓办 and 作废.
Each step with a time limit (`Step`) starts its clock when the case enters the step's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from django.db import models

from smartduty.org.states import Role


class Status(models.TextChoices):
    """Where a case stands."""

    REPORTED = "reported", "已上报（待立案）"
    REGISTERED = "registered", "已立案（待派遣）"
    DISPATCHED = "dispatched", "已派遣（处置中）"
    HANDLED = "handled", "已处置（待核查）"
    DEFERRED = "deferred", "缓办"
    CLOSED = "closed", "已结案"
    EVALUATED = "evaluated", "已评价"
    NOT_A_CASE = "not_a_case", "不予立案"
    DUPLICATE = "duplicate", "重复上报"
    VOIDED = "voided", "已作废"


class Action(models.TextChoices):
    """What can happen to a case."""

    REGISTER = "register", "立案"
    REJECT = "reject", "不予立案"
    MARK_DUPLICATE = "mark_duplicate", "判定为重复上报"
    DISPATCH = "dispatch", "派遣"
    SEND_BACK = "send_back", "回退（非本单位职责）"
    HANDLE = "handle", "处置反馈（上传处置后照片）"
    VERIFY_PASS = "verify_pass", "核查通过"
    VERIFY_FAIL = "verify_fail", "核查不通过（返工）"
    EXTEND = "extend", "延期"
    DEFER = "defer", "缓办"
    RESUME = "resume", "恢复办理"
    VOID = "void", "作废"
    EVALUATE = "evaluate", "评价"


class Step(models.TextChoices):
    """The steps with a time limit; each runs while the case is in its status."""

    DISPATCH = "dispatch", "派遣时限"
    HANDLE = "handle", "处置时限"
    VERIFY = "verify", "核查时限"


_OPEN_FOR_VOID: Final = (
    Status.REPORTED,
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.HANDLED,
    Status.DEFERRED,
)

ALLOWED: Final[Mapping[tuple[Status, Action], Status]] = {
    (Status.REPORTED, Action.REGISTER): Status.REGISTERED,
    (Status.REPORTED, Action.REJECT): Status.NOT_A_CASE,
    (Status.REPORTED, Action.MARK_DUPLICATE): Status.DUPLICATE,
    (Status.REGISTERED, Action.DISPATCH): Status.DISPATCHED,
    (Status.DISPATCHED, Action.HANDLE): Status.HANDLED,
    (Status.DISPATCHED, Action.SEND_BACK): Status.REGISTERED,
    (Status.DISPATCHED, Action.EXTEND): Status.DISPATCHED,
    (Status.DISPATCHED, Action.DEFER): Status.DEFERRED,
    (Status.DEFERRED, Action.RESUME): Status.DISPATCHED,
    (Status.HANDLED, Action.VERIFY_PASS): Status.CLOSED,
    (Status.HANDLED, Action.VERIFY_FAIL): Status.DISPATCHED,
    (Status.CLOSED, Action.EVALUATE): Status.EVALUATED,
    **{(status, Action.VOID): Status.VOIDED for status in _OPEN_FOR_VOID},
}

# The step whose clock runs in each status (DEFERRED: none, the handling clock is paused)
STEP_OF_STATUS: Final[Mapping[Status, Step]] = {
    Status.REGISTERED: Step.DISPATCH,
    Status.DISPATCHED: Step.HANDLE,
    Status.HANDLED: Step.VERIFY,
}

OPEN: Final = frozenset(
    {Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.HANDLED, Status.DEFERRED}
)
TERMINAL: Final = frozenset(
    {Status.CLOSED, Status.EVALUATED, Status.NOT_A_CASE, Status.DUPLICATE, Status.VOIDED}
)

# Actions that only a decided approval carries out, and who may approve each (the role rule;
# a city changes it here, in one place). Requesting one writes a pending `CaseApproval`.
APPROVER_ROLES: Final[Mapping[Action, frozenset[Role]]] = {
    Action.SEND_BACK: frozenset({Role.COMMAND}),
    Action.EXTEND: frozenset({Role.COMMAND}),
    Action.DEFER: frozenset({Role.COMMAND}),
    Action.VOID: frozenset({Role.COMMAND, Role.SQUAD_LEADER}),
}
NEEDS_APPROVAL: Final = frozenset(APPROVER_ROLES)

# Open311 GeoReport v2 `status` (open/closed) and the extended status of domain.md §3.1
OPEN311_STATUS: Final[Mapping[Status, tuple[str, str]]] = {
    Status.REPORTED: ("open", "OPEN"),
    Status.REGISTERED: ("open", "ACKNOWLEDGED"),
    Status.DISPATCHED: ("open", "ACTION_SCHEDULED"),
    Status.HANDLED: ("open", "IN_PROGRESS"),
    Status.DEFERRED: ("open", "ACTION_SCHEDULED"),
    Status.CLOSED: ("closed", "FIXED"),
    Status.EVALUATED: ("closed", "FIXED"),
    Status.NOT_A_CASE: ("closed", "NO_FURTHER_ACTION"),
    Status.DUPLICATE: ("closed", "DUPLICATE"),
    Status.VOIDED: ("closed", "CANCELLED"),
}


class CategoryKind(models.TextChoices):
    """CJ/T 214: 事件 (events: things that happen) and 部件 (components: fixed assets)."""

    EVENT = "event", "事件"
    COMPONENT = "component", "部件"


class Verifier(models.TextChoices):
    """Who verifies a handled case (核查)."""

    REPORTER = "reporter", "上报人"
    SUPERVISOR = "supervisor", "监督员"


# --- cases that follow another loop ----------------------------------------------------------
# A category whose `workflow` is not the standard one (违法停车: owner SMS, move window, notice)
# runs its own app's loop and table; its case row only follows it (`services.follow`), with
# no step clocks. That app maps each of its statuses onto one of these (for parking:
# `parking.states.CASE_STATUS`).
FOLLOWABLE: Final = frozenset(
    {Status.REPORTED, Status.DISPATCHED, Status.CLOSED, Status.DUPLICATE, Status.VOIDED}
)
# Leaving REPORTED for one of these is the followed case's 立案: `follow` writes the `register`
# row there, so it counts as registered like any case (the KPI queries look for that row).
REGISTERED_ON_FOLLOW: Final = frozenset({Status.DISPATCHED, Status.CLOSED})
