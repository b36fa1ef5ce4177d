"""Case rows for KPI tests and benches, written in bulk with the fields the KPI queries read
(status, dates, overdue steps, counters): no transitions run, no timers are scheduled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import count

from smartduty.cases.models import Case, CaseTransition, Category, Channel
from smartduty.cases.states import Action, Status
from smartduty.org.models import District, Unit

_SEQUENCE = count(1)
_REGISTERED = frozenset(
    {
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.HANDLED,
        Status.DEFERRED,
        Status.CLOSED,
        Status.EVALUATED,
    }
)


def case_row(
    *,
    district: District,
    category: Category,
    created_at: datetime,
    status: Status = Status.DISPATCHED,
    unit: Unit | None = None,
    handle_due_at: datetime | None = None,
    closed_at: datetime | None = None,
    overdue: bool = False,
    rework_count: int = 0,
    extension_count: int = 0,
    place: str = "人民路",
    description: str = "",
) -> Case:
    """An unsaved case as the loop would have left it."""
    return Case(
        number=f"KPI-{next(_SEQUENCE):08d}",
        status=status,
        category=category,
        district=district,
        unit=unit,
        channel=Channel.OFFICER,
        created_at=created_at,
        handle_due_at=handle_due_at,
        closed_at=closed_at,
        overdue_steps=["handle"] if overdue else [],
        rework_count=rework_count,
        extension_count=extension_count,
        place=place,
        description=description,
    )


def save_cases(cases: Iterable[Case], *, registered_voids: bool = True) -> list[Case]:
    """Bulk-insert the cases; a voided one also gets its 立案 transition (it was registered)
    unless `registered_voids` is False."""
    rows = list(cases)
    for case in rows:  # stamped as the 立案 transition would have (KPIs read `registered_at`)
        if case.status in _REGISTERED or (case.status == Status.VOIDED and registered_voids):
            case.registered_at = case.created_at + timedelta(minutes=10)
    saved = Case.objects.bulk_create(rows, batch_size=2000)
    if registered_voids:
        CaseTransition.objects.bulk_create(
            [
                CaseTransition(
                    case=case,
                    at=case.created_at + timedelta(minutes=10),
                    action=Action.REGISTER,
                    from_status=Status.REPORTED,
                    to_status=Status.REGISTERED,
                )
                for case in saved
                if case.status == Status.VOIDED
            ],
            batch_size=2000,
        )
    return saved
