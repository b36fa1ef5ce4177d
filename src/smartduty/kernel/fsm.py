"""Generic state-machine step for aggregates with `status` and `version` fields.

Each aggregate keeps its own transition table in its `states.py`
(`ALLOWED: Mapping[tuple[Status, Action], Status]`) and its own
`transition(obj, action, *, actor, reason="", expected_version=None)` service. That service
calls `apply_transition()` inside its transaction, then appends its `<Aggregate>Transition`
row, schedules or cancels timers and requests notifications, all in the same transaction::

    with transaction.atomic():
        step = fsm.apply_transition(
            ParkingReport, report.pk, action, allowed=ALLOWED, expected_version=version
        )
        ParkingReportTransition.objects.create(report=step.obj, from_status=step.from_status, ...)
        if step.to_status == Status.AWAITING_MOVE:
            timers.schedule(kind="parking.move_deadline", ...)

Nothing else assigns `status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from django.db import models, transaction

from smartduty.kernel.errors import Conflict, DomainError, NotFound

TransitionTable = Mapping[tuple[Any, Any], Any]
"""`{(status, action): new_status}`; TextChoices members are str, so tables of them fit."""


class InvalidTransition(Conflict):
    """The action is not allowed in the aggregate's current status (409)."""

    code = "invalid_transition"
    default_message = "当前状态不允许此操作，请刷新后重试"


_M = TypeVar("_M", bound=models.Model)


class Transitioned(NamedTuple, Generic[_M]):
    """Result of one step: the saved row (status and version updated) and the move made."""

    obj: _M
    from_status: str
    to_status: str


def _label(value: str, choices: Iterable[tuple[Any, Any]] | None) -> str:
    label = getattr(value, "label", None)
    if label is not None:
        return str(label)
    for key, text in choices or ():
        if key == value:
            return str(text)
    return str(value)


def next_status(allowed: TransitionTable, status: str, action: str) -> str | None:
    """The status `action` leads to from `status`, or None when the move is not allowed."""
    return allowed.get((status, action))


def allowed_actions(allowed: TransitionTable, status: str) -> list[str]:
    """Actions possible from `status`, in table order (for buttons in the apps)."""
    return [action for (source, action) in allowed if source == status]


def apply_transition(
    model: type[_M],
    pk: Any,
    action: str,
    *,
    allowed: TransitionTable,
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
    locked: _M | None = None,
) -> Transitioned[_M]:
    """Move one row along its transition table, with a row lock and an optimistic version.

    In one transaction (joining the caller's when there is one, without a savepoint, which
    is how the caller's Transition row and timers become part of the same commit): re-read
    the row with `select_for_update()`, compare `version` with `expected_version`
    (`Conflict`), look `(status, action)` up in `allowed` (`InvalidTransition`), then save
    the new status, `version + 1` and any extra `changes` (for example `moved_at`).

    `locked`: the row as the caller already read it with `select_for_update()` (or created
    it) in the current transaction; it is used as it is instead of being read again.

    Raises `NotFound` when the row does not exist. Refusals are raised after the row was
    read and nothing was written, so a caller that catches them can carry on in its
    transaction.
    """
    with transaction.atomic(savepoint=False):
        obj: Any = (
            locked
            if locked is not None
            else model._default_manager.select_for_update().filter(pk=pk).first()
        )
        refusal = _refusal(model, obj, action, allowed, expected_version)
        if refusal is None:
            from_status: str = obj.status
            to_status: str = allowed[(from_status, action)]
            obj.status = to_status
            obj.version += 1
            for name, value in (changes or {}).items():
                setattr(obj, name, value)
            obj.save(update_fields=["status", "version", *(changes or {})])
    # raised after the block, so a caller that catches it keeps a usable transaction
    if refusal is not None:
        raise refusal
    return Transitioned(obj=obj, from_status=from_status, to_status=to_status)


def _refusal(
    model: type[models.Model],
    obj: Any,
    action: str,
    allowed: TransitionTable,
    expected_version: int | None,
) -> DomainError | None:
    """Why the move may not happen, or None when it may."""
    if obj is None:
        return NotFound()
    if expected_version is not None and obj.version != expected_version:
        return Conflict(
            f"记录已被他人修改（当前版本 {obj.version}，您提交的是版本 {expected_version}），"
            "请刷新后重试",
            details={"current_version": obj.version, "expected_version": expected_version},
        )
    if next_status(allowed, obj.status, action) is None:
        choices = getattr(model._meta.get_field("status"), "choices", None)
        return InvalidTransition(
            f"当前状态“{_label(obj.status, choices)}”不允许“{_label(action, None)}”操作",
            details={"status": str(obj.status), "action": str(action)},
        )
    return None
