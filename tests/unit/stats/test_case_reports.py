"""The daily case report on durable timers: scheduled once, one report per district and day,
idempotent when run twice, catches up missed days, survives a failing render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.stats import services
from smartduty.stats.models import CaseReport, CaseReportStatus
from tests.factories.org import City

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
DISTRICTS = 5  # 示范市, 东区, 西区, 东一街道, 西一街道


def pending(kind: str) -> list[Timer]:
    return list(Timer.objects.filter(kind=kind, status=TimerStatus.PENDING).order_by("due_at"))


def test_no_district_no_timer() -> None:
    assert services.ensure_daily_timer() == 0
    assert pending(services.DAILY_KIND) == []


def test_the_chain_starts_once_at_the_configured_local_time(city: City) -> None:
    now = datetime(2026, 3, 4, 7, 30, tzinfo=TZ)
    services.ensure_daily_timer(now)
    services.ensure_daily_timer(now)
    [timer] = pending(services.DAILY_KIND)
    assert timer.due_at == datetime(2026, 3, 5, 7, 0, tzinfo=TZ)
    with override_settings(STATS_CASE_REPORT_AT="06:15"):
        assert services.next_run_at(now - timedelta(hours=2)) == datetime(
            2026, 3, 4, 6, 15, tzinfo=TZ
        )


def test_daily_timer_writes_one_report_per_district_and_day(city: City) -> None:
    services.ensure_daily_timer(datetime(2026, 3, 4, 6, 0, tzinfo=TZ))
    run_at = datetime(2026, 3, 4, 7, 0, 5, tzinfo=TZ)
    with time_machine.travel(run_at, tick=False):
        timers.fire_due(run_at)  # the daily run plans; its render timers are due now
        timers.fire_due(run_at)  # the renders
    reports = CaseReport.objects.all()
    assert reports.count() == DISTRICTS
    assert {r.day for r in reports} == {date(2026, 3, 3)}
    assert {r.status for r in reports} == {CaseReportStatus.READY}
    assert all(r.pdf.name.endswith(".pdf") and r.xlsx.name.endswith(".xlsx") for r in reports)
    [next_run] = pending(services.DAILY_KIND)
    assert next_run.due_at == datetime(2026, 3, 5, 7, 0, tzinfo=TZ)
    assert pending(services.RENDER_KIND) == []

    # the same run again (a restarted worker, a timer fired twice): nothing new
    assert services.plan_daily_reports(run_at=run_at, now=run_at) == []
    assert CaseReport.objects.count() == DISTRICTS
    assert pending(services.RENDER_KIND) == []
    assert len(pending(services.DAILY_KIND)) == 1
    report = reports.first()
    assert report is not None
    name = report.pdf.name
    services.render_case_report(report_id=report.pk)  # ready: left alone
    report.refresh_from_db()
    assert report.pdf.name == name


def test_missed_days_are_caught_up_when_the_worker_was_down(city: City) -> None:
    first = datetime(2026, 3, 2, 7, 0, tzinfo=TZ)
    with time_machine.travel(first, tick=False):
        services.plan_daily_reports(run_at=first, now=first)
    later = datetime(2026, 3, 6, 9, 0, tzinfo=TZ)  # no worker on the 3rd, 4th and 5th
    with time_machine.travel(later, tick=False):
        services.plan_daily_reports(run_at=datetime(2026, 3, 3, 7, 0, tzinfo=TZ), now=later)
    days = sorted(set(CaseReport.objects.values_list("day", flat=True)))
    assert days == [date(2026, 3, 1), date(2026, 3, 2)]
    with time_machine.travel(later, tick=False):
        services.plan_daily_reports(run_at=later, now=later)
    days = sorted(set(CaseReport.objects.values_list("day", flat=True)))
    assert days == [date(2026, 3, d) for d in range(1, 6)]
    assert CaseReport.objects.count() == 5 * DISTRICTS


def test_a_failing_render_is_retried_and_renders_once(city: City) -> None:
    run_at = datetime(2026, 3, 4, 7, 0, tzinfo=TZ)
    calls: list[int] = []

    def broken(timer: Timer) -> None:
        calls.append(int(timer.subject_id))
        raise RuntimeError("disk full")

    with time_machine.travel(run_at, tick=False):
        services.ensure_daily_timer(run_at - timedelta(hours=1))
        timers.fire_due(run_at)
        with timers.timer_kinds().override(services.RENDER_KIND, broken):
            timers.fire_due(run_at)
    assert len(calls) == DISTRICTS
    assert set(CaseReport.objects.values_list("status", flat=True)) == {CaseReportStatus.PENDING}
    retry_at = run_at + timedelta(minutes=1)
    with time_machine.travel(retry_at, tick=False):
        timers.fire_due(retry_at)
    assert set(CaseReport.objects.values_list("status", flat=True)) == {CaseReportStatus.READY}
    assert CaseReport.objects.count() == DISTRICTS
