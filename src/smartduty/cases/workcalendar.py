"""Working time: the clock that 数字城管 time limits run on.

A category's limits are in working hours, working days or clock hours (`LimitUnit`). Working
time is the city's office hours (`DEFAULT_SEGMENTS`: 08:30-12:00 and 13:30-18:00, 8 hours) on
working days: Monday to Friday, less the State Council's 放假 days, plus its 调休 weekend days
that are worked (the admin edits both as `CalendarDay` rows; `DEFAULT_2026_*` hold the
State Council General Office's notice for 2026, 国务院办公厅关于2026年部分节假日安排的通知 of
2025-11-04, shipped as the default).

One working day is the length of one office day in working time: reported Monday 10:00 with a
limit of 1 working day, the case is due Tuesday 10:00; with 5 working hours, Monday 16:00.
Everything is computed in the city's time zone and answered as aware datetimes. Pure code:
no database, no settings (the selectors build a `WorkCalendar` from the rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo


class LimitUnit(StrEnum):
    """How a time limit is counted."""

    WORK_HOURS = "work_hours"
    WORK_DAYS = "work_days"
    CLOCK_HOURS = "clock_hours"  # 自然小时: urgent events (突发事件) run day and night


DEFAULT_SEGMENTS: Final = ((time(8, 30), time(12, 0)), (time(13, 30), time(18, 0)))

# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04): days off, and weekend days worked
DEFAULT_2026_HOLIDAYS: Final = {
    **{date(2026, 1, d): "元旦" for d in (1, 2, 3)},
    **{date(2026, 2, d): "春节" for d in range(15, 24)},
    **{date(2026, 4, d): "清明节" for d in (4, 5, 6)},
    **{date(2026, 5, d): "劳动节" for d in range(1, 6)},
    **{date(2026, 6, d): "端午节" for d in (19, 20, 21)},
    **{date(2026, 9, d): "中秋节" for d in (25, 26, 27)},
    **{date(2026, 10, d): "国庆节" for d in range(1, 8)},
}
DEFAULT_2026_WORKDAYS: Final = {
    date(2026, 1, 4): "元旦调休上班",
    date(2026, 2, 14): "春节调休上班",
    date(2026, 2, 28): "春节调休上班",
    date(2026, 5, 9): "劳动节调休上班",
    date(2026, 9, 20): "国庆节调休上班",
    date(2026, 10, 10): "国庆节调休上班",
}

# a calendar with no working day in this many days is a configuration error, not a loop
_SEARCH_DAYS: Final = 3660


class NoWorkingTime(ValueError):
    """The calendar has no working time ahead (every day a holiday, or no office hours)."""


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours on working days, in one time zone."""

    tz: ZoneInfo
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    segments: tuple[tuple[time, time], ...] = DEFAULT_SEGMENTS

    def __post_init__(self) -> None:
        last = time.min
        for start, end in self.segments:
            if not (last <= start < end):
                raise ValueError("office hours must be ordered, non-empty and not overlap")
            last = end

    @classmethod
    def of(
        cls,
        tz: str | ZoneInfo,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        segments: tuple[tuple[time, time], ...] = DEFAULT_SEGMENTS,
    ) -> WorkCalendar:
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        return cls(zone, frozenset(holidays), frozenset(workdays), segments)

    @property
    def day_seconds(self) -> float:
        """Working seconds in one working day."""
        base = date(2000, 1, 3)
        return sum(
            (datetime.combine(base, end) - datetime.combine(base, start)).total_seconds()
            for start, end in self.segments
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz),
                datetime.combine(day, end, tzinfo=self.tz),
            )
            for start, end in self.segments
        ]

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return moment.astimezone(self.tz)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start` (start outside office hours
        counts from the next opening)."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        now = self._local(start)
        left = float(seconds)
        day = now.date()
        for _ in range(_SEARCH_DAYS):
            for opens, closes in self._intervals(day):
                if closes <= now:
                    continue
                begin = max(opens, now)
                room = (closes - begin).total_seconds()
                if left <= room:
                    return begin + timedelta(seconds=left)
                left -= room
            day += timedelta(days=1)
        raise NoWorkingTime("工作日历中没有可用的工作时间，请检查节假日设置")

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end) (0 when end is not after start)."""
        a, b = self._local(start), self._local(end)
        if b <= a:
            return 0.0
        total = 0.0
        day = a.date()
        while day <= b.date():
            for opens, closes in self._intervals(day):
                lo, hi = max(opens, a), min(closes, b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def limit_seconds(self, amount: float, unit: LimitUnit) -> float:
        """A limit as seconds of its own clock (working time, or wall time for clock hours)."""
        if unit is LimitUnit.WORK_DAYS:
            return amount * self.day_seconds
        return amount * 3600.0

    def deadline(self, start: datetime, amount: float, unit: LimitUnit) -> datetime:
        """When a limit of `amount` `unit`s that starts at `start` runs out."""
        if unit is LimitUnit.CLOCK_HOURS:
            return start + timedelta(hours=amount)
        return self.add(start, self.limit_seconds(amount, unit))

    def elapsed(self, start: datetime, end: datetime, unit: LimitUnit) -> float:
        """Seconds of the limit's clock used between start and end (for the 80 % warning and
        for pauses: a 缓办 stops the clock, and the rest of the limit runs after it)."""
        if unit is LimitUnit.CLOCK_HOURS:
            return max(0.0, (end - start).total_seconds())
        return self.between(start, end)
