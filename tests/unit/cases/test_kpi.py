"""数字城管 KPIs (CJ/T 292) on the Tianmen figures of domain.md §1.2."""

from __future__ import annotations

from decimal import Decimal

from smartduty.cases.kpi import CaseCounts, kpis, rate


def test_tianmen_vector() -> None:
    # 受理 1054; 立案 996; 应结案 972; 结案 911; 按期结案 737
    result = kpis(
        CaseCounts(received=1054, registered=996, due=972, closed=911, closed_on_time=737)
    )
    assert result.closure_rate == Decimal("93.72")
    assert result.on_time_rate == Decimal("75.82")


def test_rates_of_nothing_are_unknown_not_a_hundred_percent() -> None:
    empty = kpis(CaseCounts(received=0, registered=0, due=0, closed=0, closed_on_time=0))
    assert empty.closure_rate is None
    assert empty.rework_rate is None
    assert rate(1, 3) == Decimal("33.33")
    assert rate(2, 3) == Decimal("66.67")  # half up


def test_rework_extension_and_void_rates_are_shares_of_registered_cases() -> None:
    result = kpis(
        CaseCounts(
            received=1000,
            registered=900,
            due=800,
            closed=790,
            closed_on_time=780,
            reworked=9,
            extended=18,
            voided=3,
        )
    )
    assert (result.rework_rate, result.extension_rate, result.void_rate) == (
        Decimal("1.00"),
        Decimal("2.00"),
        Decimal("0.33"),
    )
