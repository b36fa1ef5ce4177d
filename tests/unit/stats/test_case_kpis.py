"""数字城管 KPI queries (stats.selectors.cases) over real Case rows: the Tianmen vector of
domain.md §1.2, grouping, period edges and scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smartduty.cases.models import Category
from smartduty.cases.states import Status
from smartduty.kernel.errors import NotFound
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from smartduty.stats.selectors import case_kpis
from tests.factories.case_rows import case_row, save_cases
from tests.factories.org import City

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


@pytest.fixture
def category() -> Category:
    return Category.objects.get(code="E0401")


def tianmen(city: City, category: Category) -> None:
    """受理 1054; 立案 996; 应结案 972; 结案 911; 按期结案 737 (plus 返工/延期/作废 marks)."""
    rows = []

    def add(n: int, **fields: object) -> None:
        for i in range(n):
            created = at(1 + i % 28, 9 + i % 8)
            rows.append(
                case_row(
                    district=city.district_a,
                    category=category,
                    unit=city.unit_a,
                    created_at=created,
                    **fields,  # type: ignore[arg-type]
                )
            )

    due = at(20)
    # 58 received, not registered: 30 不予立案, 27 重复, 1 awaiting 立案
    add(30, status=Status.NOT_A_CASE)
    add(27, status=Status.DUPLICATE)
    add(1, status=Status.REPORTED)  # still waiting for 立案
    # 911 closed in March: 737 on time, 174 late; 10 of them reworked, 20 extended
    add(727, status=Status.CLOSED, handle_due_at=due, closed_at=at(28))
    add(10, status=Status.EVALUATED, handle_due_at=due, closed_at=at(28), rework_count=1)
    add(154, status=Status.CLOSED, handle_due_at=due, closed_at=at(29), overdue=True)
    add(20, status=Status.CLOSED, handle_due_at=due, closed_at=at(29), overdue=True,
        extension_count=1)  # fmt: skip
    # 61 due in March and still open
    add(61, status=Status.DISPATCHED, handle_due_at=due, overdue=True)
    # 24 registered but not due in March: 20 due in April, 4 voided
    add(20, status=Status.DISPATCHED, handle_due_at=at(3, month=4))
    add(4, status=Status.VOIDED, handle_due_at=due)
    save_cases(rows)


def test_the_tianmen_vector_through_case_rows(
    city: City, category: Category, commander: Officer
) -> None:
    tianmen(city, category)
    table = case_kpis(
        principal=principal_for_user(commander.user), date_from=MARCH[0], date_to=MARCH[1]
    )
    t = table.total
    assert (t.received, t.registered, t.due, t.closed, t.closed_on_time) == (
        1054,
        996,
        972,
        911,
        737,
    )
    assert t.closure_rate == Decimal("93.72")
    assert t.on_time_rate == Decimal("75.82")
    assert (t.reworked, t.extended, t.voided) == (10, 20, 4)
    assert t.void_rate == Decimal("0.40")
    assert t.mean_handling_hours is not None
    assert [r.label for r in table.rows] == ["东区一中队"]
    assert table.rows[0].received == 1054


def test_a_void_before_registration_is_received_but_not_registered(
    city: City, category: Category, commander: Officer
) -> None:
    save_cases(
        [
            case_row(
                district=city.district_a, category=category, created_at=at(2), status=Status.VOIDED
            )
        ],
        registered_voids=False,
    )
    t = case_kpis(
        principal=principal_for_user(commander.user), date_from=MARCH[0], date_to=MARCH[1]
    ).total
    assert (t.received, t.registered, t.voided, t.void_rate) == (1, 0, 0, None)


def test_period_edges_are_local_days(city: City, category: Category, commander: Officer) -> None:
    start = datetime(2026, 3, 1, tzinfo=TZ)
    end = datetime(2026, 4, 1, tzinfo=TZ)
    edge = timedelta(microseconds=1)
    save_cases(
        case_row(district=city.district_a, category=category, created_at=moment)
        for moment in (start - edge, start, end - edge, end)
    )
    # closed an instant after the period: due in March, not closed in March
    save_cases(
        [
            case_row(
                district=city.district_a,
                category=category,
                created_at=at(10),
                status=Status.CLOSED,
                handle_due_at=end - edge,
                closed_at=end,
            )
        ]
    )
    principal = principal_for_user(commander.user)
    t = case_kpis(principal=principal, date_from=MARCH[0], date_to=MARCH[1]).total
    assert (t.received, t.due, t.closed, t.closure_rate) == (3, 1, 0, Decimal("0.00"))
    april = case_kpis(principal=principal, date_from=date(2026, 4, 1), date_to=date(2026, 4, 1))
    # closed on 1 April ahead of nothing due that day: due (closed in the period) and closed
    assert (april.total.received, april.total.due, april.total.closed) == (1, 1, 1)
    assert april.total.mean_handling_hours == pytest.approx((end - at(10)).total_seconds() / 3600)


def test_grouping_by_unit_category_and_district(
    city: City, category: Category, commander: Officer
) -> None:
    other = Category.objects.exclude(pk=category.pk).exclude(parent=None).first()
    assert other is not None
    save_cases(
        [
            case_row(district=city.street_a, category=category, unit=city.unit_a,
                     created_at=at(3)),
            case_row(district=city.district_a, category=other, created_at=at(3)),
            case_row(district=city.district_b, category=category, unit=city.unit_b,
                     created_at=at(4), status=Status.CLOSED, handle_due_at=at(5),
                     closed_at=at(4, 12)),
        ]
    )  # fmt: skip
    principal = principal_for_user(commander.user)

    def table(group_by: str) -> dict[str, int]:
        result = case_kpis(
            principal=principal, date_from=MARCH[0], date_to=MARCH[1], group_by=group_by
        )
        assert result.total.received == 3
        return {row.label: row.received for row in result.rows}

    assert table("unit") == {"东区一中队": 1, "西区一中队": 1, "未派遣": 1}
    assert table("category") == {category.name: 2, other.name: 1}
    # the city's districts, each counting its subtree (东一街道 rolls into 东区)
    assert table("district") == {"东区": 2, "西区": 1}
    assert table("grid") == {"未划入网格": 3}
    narrowed = case_kpis(
        principal=principal,
        date_from=MARCH[0],
        date_to=MARCH[1],
        group_by="district",
        district_id=city.district_a.public_id,
    )
    assert {r.label: r.received for r in narrowed.rows} == {"东区": 1, "东一街道": 1}
    west = case_kpis(
        principal=principal,
        date_from=MARCH[0],
        date_to=MARCH[1],
        district_id=city.district_b.public_id,
    ).total
    assert (west.closed, west.closure_rate, west.mean_handling_hours) == (1, Decimal("100.00"), 2.0)


def test_scope_counts_only_my_subtree(
    city: City, category: Category, officer_b: Officer, commander: Officer
) -> None:
    tianmen(city, category)
    principal = principal_for_user(officer_b.user)
    table = case_kpis(principal=principal, date_from=MARCH[0], date_to=MARCH[1])
    assert table.rows == []
    assert table.total.received == 0
    with pytest.raises(NotFound):
        case_kpis(
            principal=principal,
            date_from=MARCH[0],
            date_to=MARCH[1],
            district_id=city.district_a.public_id,
        )


def test_one_aggregate_query_per_table(
    city: City, category: Category, commander: Officer, django_assert_max_num_queries: Any
) -> None:
    tianmen(city, category)
    principal = principal_for_user(commander.user)
    with django_assert_max_num_queries(1):
        case_kpis(principal=principal, date_from=MARCH[0], date_to=MARCH[1], group_by="unit")
    with django_assert_max_num_queries(2):  # + the districts of the roll-up
        case_kpis(principal=principal, date_from=MARCH[0], date_to=MARCH[1], group_by="district")
