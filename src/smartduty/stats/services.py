"""The daily case report (数字城管案件日报): planned and rendered by the worker on durable timers.

- `stats.case_reports_daily` fires once a day at `settings.STATS_CASE_REPORT_AT` (local time,
  default 07:00). Its handler writes one pending `CaseReport` per district for the previous
  day (and for any day missed while no worker ran, at most `CATCH_UP_DAYS` back), schedules
  a `stats.case_report_render` timer for each, and schedules the next day's run; all in the
  timer's transaction, so a killed worker either did all of it or none (the timer stays
  pending and fires once after the restart). `(district, day)` is unique, so running it twice
  plans nothing new.
- `stats.case_report_render` renders one report (KPI table per unit → PDF and Excel), stores
  both files under fixed names (a re-run overwrites, never adds a second copy) and marks the
  row ready in the same transaction. One report per timer keeps each transaction short: the
  timer pump stops taking timers after `TIMERS_BATCH_MAX_SECONDS` and commits.
- The chain needs a first timer: `ensure_daily_timer`, the tick of the `stats.case_reports`
  pump, schedules it when none is pending (a fresh install; a deleted timer). It does nothing
  while no district exists (nothing to report on).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District
from smartduty.org.selectors import list_districts
from smartduty.stats import exports
from smartduty.stats.case_report_pdf import render_case_report_pdf
from smartduty.stats.models import CaseReport, CaseReportStatus
from smartduty.stats.selectors.cases import case_kpis

DAILY_KIND: Final = "stats.case_reports_daily"
RENDER_KIND: Final = "stats.case_report_render"
SUBJECT_DAILY: Final = "stats.case_reports"
SUBJECT_REPORT: Final = "stats.casereport"
DEFAULT_REPORT_AT: Final = "07:00"
CATCH_UP_DAYS: Final = 7
SYSTEM: Final = Principal(user_id=None, username="系统", district_path=None, is_global=True)
"""The worker reads every district's cases."""


def report_time() -> time:
    """`settings.STATS_CASE_REPORT_AT` ("HH:MM", local) as a time."""
    text = str(getattr(settings, "STATS_CASE_REPORT_AT", "") or DEFAULT_REPORT_AT)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ImproperlyConfigured(
            f"STATS_CASE_REPORT_AT must be HH:MM (local time), not {text!r}"
        ) from None


def next_run_at(after: datetime) -> datetime:
    """The first report time strictly after `after` (local wall clock, aware)."""
    local = timezone.localtime(after)
    run = timezone.make_aware(datetime.combine(local.date(), report_time()))
    return (
        run
        if run > after
        else timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), report_time()))
    )


def _schedule_daily(due_at: datetime) -> Timer:
    day = timezone.localtime(due_at).date().isoformat()
    return timers.schedule(
        kind=DAILY_KIND,
        subject_type=SUBJECT_DAILY,
        subject_id=day,
        due_at=due_at,
        dedupe_key=f"{DAILY_KIND}:{day}",
    )


def ensure_daily_timer(now: datetime | None = None) -> int:
    """Schedule the next daily run unless one is pending; 0 (the pump found no work)."""
    pending = Timer.objects.filter(kind=DAILY_KIND, status=TimerStatus.PENDING)
    if pending.exists() or not District.objects.exists():
        return 0
    with transaction.atomic():
        _schedule_daily(next_run_at(now or timezone.now()))
    return 0


def plan_daily_reports(*, run_at: datetime, now: datetime | None = None) -> list[CaseReport]:
    """The daily timer's work (in its transaction): pending reports for the day before
    `run_at` (and missed days since the last report), their render timers, the next run.

    Returns the reports it planned (none when they already exist).
    """
    run_day = timezone.localtime(run_at).date()
    yesterday = run_day - timedelta(days=1)
    last = CaseReport.objects.filter(day__lt=run_day).order_by("-day").values("day").first()
    first_day = max(
        last["day"] + timedelta(days=1) if last else yesterday,
        run_day - timedelta(days=CATCH_UP_DAYS),
    )
    days = [first_day + timedelta(days=n) for n in range((yesterday - first_day).days + 1)]
    districts = list(list_districts(principal=SYSTEM))
    CaseReport.objects.bulk_create(
        [CaseReport(district=d, day=day) for day in days for d in districts],
        ignore_conflicts=True,
    )
    planned = list(
        CaseReport.objects.filter(day__in=days, status=CaseReportStatus.PENDING).order_by("pk")
    )
    for report in planned:
        schedule_render(report)
    _schedule_daily(next_run_at(max(run_at, now or timezone.now())))
    return planned


def schedule_render(report: CaseReport) -> Timer:
    """A render timer for a pending report, due now (one pending per report)."""
    return timers.schedule(
        kind=RENDER_KIND,
        subject_type=SUBJECT_REPORT,
        subject_id=str(report.pk),
        due_at=timezone.now(),
        dedupe_key=f"{RENDER_KIND}:{report.pk}",
    )


def _store(field: FieldFile, name: str, content: bytes) -> None:
    """Save under a fixed name, replacing an earlier copy (a re-render after a crash)."""
    target = field.field.generate_filename(field.instance, name)
    if field.storage.exists(target):
        field.storage.delete(target)
    field.save(name, ContentFile(content), save=False)


def render_case_report(*, report_id: int, now: datetime | None = None) -> CaseReport | None:
    """Render one pending report (idempotent: a ready or missing report is left alone)."""
    with transaction.atomic():
        report = (
            CaseReport.objects.select_for_update()
            .select_related("district")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.status == CaseReportStatus.READY:
            return report
        district = report.district
        table = case_kpis(
            principal=SYSTEM,
            date_from=report.day,
            date_to=report.day,
            group_by="unit",
            district=district,
        )
        generated_at = now or timezone.now()
        stem = f"{report.day:%Y/%m}/{district.code}-{report.day:%Y%m%d}"
        _store(
            report.pdf,
            f"{stem}.pdf",
            render_case_report_pdf(table, district_name=district.name, generated_at=generated_at),
        )
        _store(
            report.xlsx,
            f"{stem}.xlsx",
            exports.case_kpi_workbook(
                table=table, scope_label=district.name, exported_by=SYSTEM.username
            ),
        )
        report.status = CaseReportStatus.READY
        report.received = table.total.received
        report.closure_rate = table.total.closure_rate
        report.on_time_rate = table.total.on_time_rate
        report.generated_at = generated_at
        report.full_clean()
        report.save()
        return report
