"""Working-time arithmetic: office hours, weekends, 放假 and 调休 days (the 2026 notice)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from smartduty.cases.workcalendar import (
    DEFAULT_2026_HOLIDAYS,
    DEFAULT_2026_WORKDAYS,
    LimitUnit,
    NoWorkingTime,
    WorkCalendar,
)

CAL = WorkCalendar.of(
    "Asia/Shanghai", holidays=DEFAULT_2026_HOLIDAYS, workdays=DEFAULT_2026_WORKDAYS
)


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CAL.tz)


def test_an_office_day_is_eight_hours() -> None:
    assert CAL.day_seconds == 8 * 3600


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        # Monday 10:00 + 1 working day = Tuesday 10:00
        (at(2026, 12, 7, 10), 1, LimitUnit.WORK_DAYS, at(2026, 12, 8, 10)),
        # Monday 16:00 + 5 working hours: 2 h on Monday, 3 h from Tuesday 08:30
        (at(2026, 12, 7, 16), 5, LimitUnit.WORK_HOURS, at(2026, 12, 8, 11, 30)),
        # the lunch break does not count
        (at(2026, 12, 7, 11), 2, LimitUnit.WORK_HOURS, at(2026, 12, 7, 14, 30)),
        # Friday 17:00 + 2 working hours: over the weekend to Monday 09:30
        (at(2026, 12, 4, 17), 2, LimitUnit.WORK_HOURS, at(2026, 12, 7, 9, 30)),
        # reported on Saturday night: the clock starts at Monday's opening
        (at(2026, 12, 5, 20), 0.5, LimitUnit.WORK_HOURS, at(2026, 12, 7, 9)),
        # the day before 国庆: 1 h on 30 September, then 8 October (1-7 off)
        (at(2026, 9, 30, 17), 1, LimitUnit.WORK_DAYS, at(2026, 10, 8, 17)),
        # 10 October 2026 is a Saturday worked (调休)
        (at(2026, 10, 9, 17), 2, LimitUnit.WORK_HOURS, at(2026, 10, 10, 9, 30)),
        # 14 February (Saturday) worked before the 春节 break of 15-23 February
        (at(2026, 2, 13, 17), 2, LimitUnit.WORK_HOURS, at(2026, 2, 14, 9, 30)),
        (at(2026, 2, 14, 17), 2, LimitUnit.WORK_HOURS, at(2026, 2, 24, 9, 30)),
        # clock hours run day and night, holidays included
        (at(2026, 10, 1, 23), 2, LimitUnit.CLOCK_HOURS, at(2026, 10, 2, 1)),
        # a limit that ends exactly at closing time ends then, not at the next opening
        (at(2026, 12, 7, 17), 1, LimitUnit.WORK_HOURS, at(2026, 12, 7, 18)),
    ],
)
def test_deadlines(start: datetime, amount: float, unit: LimitUnit, due: datetime) -> None:
    assert CAL.deadline(start, amount, unit) == due


def test_the_answer_does_not_depend_on_the_time_zone_asked_in() -> None:
    local = at(2026, 12, 7, 16)
    utc = local.astimezone(UTC)
    due = CAL.deadline(local, 5, LimitUnit.WORK_HOURS)
    assert CAL.deadline(utc, 5, LimitUnit.WORK_HOURS) == due


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 12, 7, 10), at(2026, 12, 8, 10), 8),
        (at(2026, 12, 4, 17), at(2026, 12, 7, 9, 30), 2),
        (at(2026, 12, 7, 12), at(2026, 12, 7, 13, 30), 0),  # lunch
        (at(2026, 9, 30, 8), at(2026, 10, 8, 8), 8),  # 国庆: only 30 September counts
        (at(2026, 12, 8, 10), at(2026, 12, 7, 10), 0),  # backwards
    ],
)
def test_working_time_between(start: datetime, end: datetime, hours: float) -> None:
    assert CAL.between(start, end) == hours * 3600


@pytest.mark.parametrize("seconds", [0, 1, 1799, 3600 * 3.5, 3600 * 8, 3600 * 8 * 17 + 123])
@pytest.mark.parametrize(
    "start", [at(2026, 9, 28, 7), at(2026, 12, 7, 11, 59), at(2026, 2, 13, 17, 45)]
)
def test_adding_and_measuring_agree(start: datetime, seconds: float) -> None:
    """What `add` spends, `between` counts back (to the microsecond)."""
    assert CAL.between(start, CAL.add(start, seconds)) == pytest.approx(seconds, abs=1e-6)


def test_the_admin_s_days_change_the_answer() -> None:
    plain = WorkCalendar.of("Asia/Shanghai")
    # without the 2026 notice, 1 October 2026 (a Thursday) is a working day
    assert plain.is_working_day(date(2026, 10, 1))
    assert not CAL.is_working_day(date(2026, 10, 1))
    assert not plain.is_working_day(date(2026, 10, 10))
    assert CAL.is_working_day(date(2026, 10, 10))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add(datetime(2026, 12, 7, 10), 60)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        CAL.add(at(2026, 12, 7, 10), -1)
    with pytest.raises(ValueError, match="ordered"):
        WorkCalendar.of("Asia/Shanghai", segments=((time(14), time(12)),))
    closed = WorkCalendar.of("Asia/Shanghai", segments=())
    with pytest.raises(NoWorkingTime):
        closed.add(at(2026, 12, 7, 10), 60)


def test_the_2026_default_is_the_state_council_notice() -> None:
    # 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7 days off; 6 weekend days worked
    assert len(DEFAULT_2026_HOLIDAYS) == 33
    assert sorted(DEFAULT_2026_WORKDAYS) == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert all(d.weekday() >= 5 for d in DEFAULT_2026_WORKDAYS)
