"""What every part of the case services shares: the subject and timer kinds of the step
clocks, text cleaning, case numbers (per district and day), the routing grid of a point and
the system's timeline rows."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from django.utils import timezone

from smartduty.cases.models import Case, CaseSequence, CaseTransition
from smartduty.grids import selectors as grids
from smartduty.grids.models import Grid
from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.text import has_hidden_characters
from smartduty.org.models import District

SUBJECT: Final = "cases.case"
STEP_WARN: Final = "cases.step_warn"
STEP_OVERDUE: Final = "cases.step_overdue"
WARN_SHARE: Final = 0.8
"""The warning fires when this share of a clock's span has run."""


def clean_text(label: str, value: str, limit: int) -> str:
    """`value` stripped; 422 for hidden characters or more than `limit` characters."""
    value = value.strip()
    if has_hidden_characters(value):
        raise ValidationFailed(f"{label}不能包含控制字符或不可见字符")
    if len(value) > limit:
        raise ValidationFailed(f"{label}最多 {limit} 个字")
    return value


def next_number(district: District, at: datetime) -> str:
    """The next case number of `district` on `at`'s local day (`AJ-<code>-<yyyymmdd>-0001`);
    locks the day's sequence row until the caller's transaction ends."""
    day = timezone.localtime(at).date()
    seq, _ = CaseSequence.objects.select_for_update().get_or_create(district=district, day=day)
    seq.last_value += 1
    seq.save(update_fields=["last_value"])
    return f"AJ-{district.code}-{day:%Y%m%d}-{seq.last_value:04d}"


def grid_of(district: District, point: tuple[float, float] | None) -> Grid | None:
    """The grid that holds the point, if it lies in the case's district or around it (a grid
    of another district is not this district's to route)."""
    if point is None:
        return None
    grid = grids.locate(*point)
    if grid is None:
        return None
    path = grid.district.path
    return grid if path.startswith(district.path) or district.path.startswith(path) else None


def timeline(case: Case, action: str, reason: str) -> None:
    """A timeline row written by the system that leaves the status as it is."""
    CaseTransition.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=case.status,
        actor_name="系统",
        reason=reason,
    )
