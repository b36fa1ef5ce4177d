"""Cases that follow another loop (违法停车: a `workflow` other than standard).

Such a case is opened and moved only by its own app, whose table decides what is legal; the
core keeps the case row, its number and timeline, and counts it in the KPIs. No step clocks
run: the other loop's own deadline (the parking move window) is its clock.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from smartduty.cases.models import Case, CaseTransition, Category, Channel, Workflow
from smartduty.cases.services.common import grid_of, next_number
from smartduty.cases.states import FOLLOWABLE, REGISTERED_ON_FOLLOW, TERMINAL, Action, Status
from smartduty.evidence.models import Photo
from smartduty.grids.models import Grid
from smartduty.kernel import fsm
from smartduty.kernel.errors import ValidationFailed
from smartduty.org.models import District, Unit
from smartduty.org.selectors import Actor, actor_name


def followed_category(workflow: Workflow) -> Category | None:
    """The 小类 whose cases run `workflow`'s loop (None when a city has removed it)."""
    return (
        Category.objects.filter(workflow=workflow, parent__isnull=False)
        .order_by("sort_order", "code")
        .first()
    )


def grid_for(district: District, lat: float | None, lon: float | None) -> Grid | None:
    """The core's routing grid of a point in or around `district` (call it before the
    transaction: the first look-up of a process builds the grid index)."""
    return grid_of(district, (lat, lon) if lat is not None and lon is not None else None)


def open_followed(
    *,
    category: Category,
    district: District,
    unit: Unit,
    actor: Actor,
    place: str,
    lat: float | None,
    lon: float | None,
    photo: Photo | None,
    grid: Grid | None,
    at: datetime,
    reason: str,
) -> Case:
    """上报 of a case that another loop drives (channel officer, REPORTED, numbered like any
    case), in the caller's transaction. `unit` handles it (that loop's unit; no routing by the
    grid's unit); no duplicate check (that loop has its own rule)."""
    if category.workflow == Workflow.STANDARD:
        raise ValueError(f"{category.code} runs the standard loop")  # a caller's bug
    case = Case.objects.create(
        number=next_number(district, at),
        category=category,
        district=district,
        channel=Channel.OFFICER,
        reported_by=actor if actor is not None and actor.is_authenticated else None,
        place=place,
        lat=lat,
        lon=lon,
        grid=grid,
        unit=unit,
        photo=photo,
        created_at=at,
    )
    where = f"网格 {grid.code}（{grid.name}）" if grid is not None else ""
    CaseTransition.objects.create(
        case=case,
        at=at,
        action="report",
        to_status=Status.REPORTED,
        actor=case.reported_by,
        actor_name=actor_name(actor),
        reason="，".join(part for part in (reason, where) if part)[:200],
    )
    return case


def follow(
    case_id: int,
    status: Status,
    *,
    action: str,
    actor: Actor,
    reason: str = "",
    due_at: datetime | None = None,
    duplicate_of_id: int | None = None,
) -> Case:
    """Move a followed case to `status` (one of `FOLLOWABLE`) because its own loop moved, and
    write its timeline row (`action`: that loop's action; the status may stay the same). No
    step clocks; `due_at` sets the handling due time (应结案) when that loop has one. Leaving
    REPORTED for a handled status also writes the `register` (立案) row. Joins the caller's
    transaction."""
    if status not in FOLLOWABLE:
        raise ValueError(f"a followed case cannot be {status}")  # a mapping's bug
    joined = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if joined else transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category").get(pk=case_id)
        if locked.category.workflow == Workflow.STANDARD:
            raise ValueError(f"{locked.number} runs the standard loop")
        source = Status(locked.status)
        if source in TERMINAL and status != source:
            raise fsm.InvalidTransition(f"案件 {locked.number} 已{source.label}，不能再变更")
        now = timezone.now()
        who = actor if actor is not None and actor.is_authenticated else None
        name = actor_name(actor)
        rows = []
        if source is Status.REPORTED and status in REGISTERED_ON_FOLLOW:
            rows.append(
                CaseTransition(
                    case=locked,
                    at=now,
                    action=Action.REGISTER,
                    from_status=source,
                    to_status=status,
                    actor=who,
                    actor_name=name,
                    reason="现场立案，由上报单位处置",
                )
            )
        rows.append(
            CaseTransition(
                case=locked,
                at=now,
                action=action[:24],
                from_status=status if rows else source,
                to_status=status,
                actor=who,
                actor_name=name,
                reason=reason[:200],
            )
        )
        fields: list[str] = []
        if status != source:
            locked.status = status
            locked.version += 1
            fields += ["status", "version"]
        if source is Status.REPORTED and status in REGISTERED_ON_FOLLOW:
            locked.registered_at = now
            fields.append("registered_at")
        if status == Status.CLOSED and locked.closed_at is None:
            locked.closed_at = now
            fields.append("closed_at")
        if due_at is not None:
            locked.handle_due_at = due_at
            fields.append("handle_due_at")
        if duplicate_of_id is not None:
            locked.duplicate_of_id = duplicate_of_id
            fields.append("duplicate_of")
        if fields:
            locked.save(update_fields=fields)
        CaseTransition.objects.bulk_create(rows)
    return locked


def refuse_followed(case: Case) -> None:
    """422 for a person's action or approval request on a case that another loop drives: it
    moves only with that loop (the parking report's endpoints for 违法停车)."""
    if case.category.workflow == Workflow.PARKING:
        raise ValidationFailed("违法停车案件请在违停上报中办理（短信挪车、复查、贴单）")
    if case.category.workflow != Workflow.STANDARD:
        raise ValidationFailed("该类案件由其专门流程办理，不能在案件中直接操作")
