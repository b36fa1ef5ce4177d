"""数字城管 KPIs of the case core (CJ/T 292 / GB/T 30428.4) per unit, category, district or grid.

One aggregate query per table: the visible cases of the period are grouped by the chosen key
and counted with conditional `Count`s (and a `Sum` of handling time); Python only adds up the
grouped rows (the district roll-up and the total), never loops over cases. The formulas are
`cases.kpi`. For a period of local days [date_from, date_to]:

- 受理 received: cases reported in the period (every channel, every outcome).
- 立案 registered: of those, the ones that were registered (立案: `Case.registered_at`, set by
  the 立案 transition and kept by a later 作废; 不予立案 and 重复 never have it).
- 返工 / 延期 / 作废: of the registered ones, those reworked at least once, extended at least
  once, voided (the KPIs divide them by 立案).
- 应结案 due: registered cases whose handling limit (`handle_due_at`) fell in the period, or
  that were closed in the period ahead of a later limit (so 结案 ≤ 应结案); 作废 and 缓办
  cases are not due.
- 结案 closed: of the due cases, those closed before the period ended (a later closure does
  not change a past period's figure); 按期结案: closed with no step overdue.
- mean handling time: closed_at − created_at over the cases closed in the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Final, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)

from smartduty.cases.kpi import CaseCounts, Kpis, kpis
from smartduty.cases.models import Case
from smartduty.cases.selectors import VIEW_CASE
from smartduty.cases.states import Status
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District
from smartduty.org.selectors import get_district, list_districts

GroupBy = Literal["unit", "category", "district", "grid"]


@dataclass(frozen=True)
class Grouping:
    """How one `group_by` value groups cases: the key and label columns, and the label of
    cases without one (a case not yet dispatched has no unit)."""

    key: str
    label: str
    empty_label: str


# One entry per way of grouping; `district` rolls its rows up to the children of the scope
GROUPINGS: Final[Mapping[str, Grouping]] = {
    "unit": Grouping("unit__public_id", "unit__name", "未派遣"),
    "category": Grouping("category__code", "category__name", "未分类"),
    "district": Grouping("district__path", "district__name", ""),
    "grid": Grouping("grid__code", "grid__name", "未划入网格"),
}


def available_groupings() -> list[str]:
    """The `GROUPINGS` whose relation exists on `Case` (`grid` comes with the grids app)."""
    fields = {f.name for f in Case._meta.get_fields()}
    return [name for name, g in GROUPINGS.items() if g.key.split("__")[0] in fields]


_CLOSED_STATUSES: Final = (Status.CLOSED, Status.EVALUATED)
_NOT_DUE_STATUSES: Final = (Status.VOIDED, Status.DEFERRED)


@dataclass(frozen=True)
class CaseKpiRow:
    """The counts and KPIs of one group (or of the total, `key` None)."""

    key: str | None
    label: str
    received: int = 0
    registered: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    reworked: int = 0
    extended: int = 0
    voided: int = 0
    handled: int = 0  # closed in the period (the mean's denominator)
    handling_seconds: float = 0.0  # their summed handling time

    @property
    def counts(self) -> CaseCounts:
        return CaseCounts(
            received=self.received,
            registered=self.registered,
            due=self.due,
            closed=self.closed,
            closed_on_time=self.closed_on_time,
            reworked=self.reworked,
            extended=self.extended,
            voided=self.voided,
        )

    @property
    def kpis(self) -> Kpis:
        return kpis(self.counts)

    @property
    def closure_rate(self) -> Decimal | None:
        return self.kpis.closure_rate

    @property
    def on_time_rate(self) -> Decimal | None:
        return self.kpis.on_time_rate

    @property
    def rework_rate(self) -> Decimal | None:
        return self.kpis.rework_rate

    @property
    def extension_rate(self) -> Decimal | None:
        return self.kpis.extension_rate

    @property
    def void_rate(self) -> Decimal | None:
        return self.kpis.void_rate

    @property
    def mean_handling_hours(self) -> float | None:
        """Mean clock hours from 上报 to 结案 of the cases closed in the period."""
        if not self.handled:
            return None
        return round(self.handling_seconds / self.handled / 3600, 2)

    def plus(self, other: CaseKpiRow) -> CaseKpiRow:
        """This row with another's counts added (labels kept)."""
        return replace(
            self,
            **{name: getattr(self, name) + getattr(other, name) for name in _ADDITIVE},
        )


_ADDITIVE: Final = (
    "received",
    "registered",
    "due",
    "closed",
    "closed_on_time",
    "reworked",
    "extended",
    "voided",
    "handled",
    "handling_seconds",
)


@dataclass(frozen=True)
class CaseKpiTable:
    """The rows of a period, grouped one way, and their total."""

    date_from: date
    date_to: date
    group_by: str
    scope_label: str
    rows: list[CaseKpiRow]
    total: CaseKpiRow


def local_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) instants of local calendar days `date_from` … `date_to`."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _aggregates(start: datetime, end: datetime) -> dict[str, Count | Sum]:
    """The conditional aggregates of `CaseKpiRow`'s counts over [start, end)."""
    received = Q(created_at__gte=start, created_at__lt=end)
    was_registered = Q(registered_at__isnull=False)
    registered = received & was_registered
    closed_in_period = Q(closed_at__gte=start, closed_at__lt=end)
    due = (
        was_registered
        & ~Q(status__in=_NOT_DUE_STATUSES)
        & (Q(handle_due_at__gte=start, handle_due_at__lt=end) | closed_in_period)
    )
    closed = due & Q(status__in=_CLOSED_STATUSES, closed_at__lt=end)
    handling = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    return {
        "received": Count("pk", filter=received),
        "registered": Count("pk", filter=registered),
        "due": Count("pk", filter=due),
        "closed": Count("pk", filter=closed),
        "closed_on_time": Count("pk", filter=closed & Q(overdue_steps=[])),
        "reworked": Count("pk", filter=registered & Q(rework_count__gt=0)),
        "extended": Count("pk", filter=registered & Q(extension_count__gt=0)),
        "voided": Count("pk", filter=registered & Q(status=Status.VOIDED)),
        "handled": Count("pk", filter=closed_in_period & Q(status__in=_CLOSED_STATUSES)),
        "handling": Sum(handling, filter=closed_in_period & Q(status__in=_CLOSED_STATUSES)),
    }


def period_cases(
    *, principal: Principal, start: datetime, end: datetime, district: District | None
) -> QuerySet[Case]:
    """Visible cases that any figure of [start, end) may count (reported, due or closed in
    it), within `district`'s subtree when given."""
    rows = Case.objects.visible_to(principal, VIEW_CASE).filter(
        Q(created_at__gte=start, created_at__lt=end)
        | Q(handle_due_at__gte=start, handle_due_at__lt=end)
        | Q(closed_at__gte=start, closed_at__lt=end)
    )
    if district is not None:
        # the subtree's ids first (a handful of rows), so that each date range is read from
        # the (district, date) indexes instead of the whole city's month
        subtree = District.objects.filter(path__startswith=district.path)
        rows = rows.filter(district_id__in=list(subtree.values_list("id", flat=True)))
    return rows


def case_kpis(
    *,
    principal: Principal,
    date_from: date,
    date_to: date,
    group_by: str = "unit",
    district_id: UUID | None = None,
    district: District | None = None,
) -> CaseKpiTable:
    """The KPI table of the visible cases in the period, grouped by `group_by` (a key of
    `GROUPINGS`), within a district's subtree (`district_id`: out of scope is `NotFound`).

    `group_by="district"` gives one row per district directly under the selected district
    (or the caller's own; the top districts for a city-wide account), each counting its
    subtree; cases of the selected district itself form a row of their own.
    """
    if district is None and district_id is not None:
        district = get_district(principal=principal, public_id=district_id)
    grouping = GROUPINGS[group_by]
    start, end = local_bounds(date_from, date_to)
    grouped = (
        period_cases(principal=principal, start=start, end=end, district=district)
        .order_by()
        .values(grouping.key, grouping.label)
        .annotate(**_aggregates(start, end))
    )
    rows: list[CaseKpiRow] = []
    for values in grouped:
        handling: timedelta | None = values.pop("handling")
        key = values.pop(grouping.key)
        label = values.pop(grouping.label)
        rows.append(
            CaseKpiRow(
                key=str(key) if key is not None else None,
                label=label or grouping.empty_label,
                handling_seconds=handling.total_seconds() if handling else 0.0,
                **values,
            )
        )
    if group_by == "district":
        rows = _roll_up(principal, rows, district)
    else:
        rows.sort(key=lambda r: (r.key is None, r.key or ""))
    total = CaseKpiRow(key=None, label="合计")
    for row in rows:
        total = total.plus(row)
    return CaseKpiTable(
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        scope_label=district.name if district is not None else "全部辖区",
        rows=rows,
        total=total,
    )


def _roll_up(
    principal: Principal, rows: list[CaseKpiRow], district: District | None
) -> list[CaseKpiRow]:
    """Rows keyed by district path, added up per child of the root (tree order); keyed by
    the child's public id."""
    root = district.path if district is not None else (principal.district_path or "/")
    if principal.is_global and district is None:
        root = "/"
    visible = list_districts(principal=principal).filter(path__startswith=root)
    by_path = {d.path: d for d in visible}
    merged: dict[str, CaseKpiRow] = {}
    for row in rows:
        path = row.key or ""
        rest = path[len(root) :].strip("/")
        target = root + rest.split("/")[0] + "/" if rest else root
        owner = by_path.get(target)
        if owner is None:  # the caller's own district above a city-wide root: itself
            owner = by_path.get(path)
        if owner is None:
            continue
        base = merged.get(owner.path) or CaseKpiRow(key=str(owner.public_id), label=owner.name)
        merged[owner.path] = base.plus(row)
    return [merged[path] for path in sorted(merged)]
