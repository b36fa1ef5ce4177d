"""The 数字城管 performance figures of CJ/T 292 / GB/T 30428.4, from counts.

Definitions (domain.md §1.2): 结案率 = 结案 / 应结案, 按期结案率 = 按期结案 / 应结案; 返工率,
延期率 and 作废率 are the share of 立案 cases that were reworked, extended or voided. 应结案 is
the cases whose handling limit fell in the period (closed or not). Rates are None when their
denominator is 0, never a division error and never a made-up 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class CaseCounts:
    """Counts of one unit, grid, category or period."""

    received: int  # 受理
    registered: int  # 立案
    due: int  # 应结案
    closed: int  # 结案
    closed_on_time: int  # 按期结案
    reworked: int = 0  # 返工 (cases with at least one failed verification)
    extended: int = 0  # 延期
    voided: int = 0  # 作废


@dataclass(frozen=True)
class Kpis:
    closure_rate: Decimal | None  # 结案率
    on_time_rate: Decimal | None  # 按期结案率
    rework_rate: Decimal | None  # 返工率
    extension_rate: Decimal | None  # 延期率
    void_rate: Decimal | None  # 作废率


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with two decimals (93.72), None when there is nothing to divide by."""
    if denominator <= 0:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def kpis(counts: CaseCounts) -> Kpis:
    return Kpis(
        closure_rate=rate(counts.closed, counts.due),
        on_time_rate=rate(counts.closed_on_time, counts.due),
        rework_rate=rate(counts.reworked, counts.registered),
        extension_rate=rate(counts.extended, counts.registered),
        void_rate=rate(counts.voided, counts.registered),
    )
