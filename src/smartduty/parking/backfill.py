"""Cases for the parking reports made before the parking loop ran on the case core.

`link_cases` gives every report without a case its `Case` row of the 违法停车 category, as
`services` would have made it: numbered on the district's day sequence, in the report's case
status (`states.CASE_STATUS`), handled by the reporting unit, its timeline copied from the
report's (with the 立案 row where the report left `reported` for a handled status), closed
at the report's end, due at its move deadline. It takes the model classes, so the data
migration `0004_cases_for_reports` runs it on the historical models and tests on the live ones.
Batched: a few statements per `batch` reports, never one per report. Grids are left empty
(the point-in-polygon index belongs to the running app, not to a migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from smartduty.cases.states import REGISTERED_ON_FOLLOW
from smartduty.cases.states import Status as CaseStatus
from smartduty.parking.states import CASE_STATUS, Status

PARKING_WORKFLOW = "parking"


@dataclass(frozen=True)
class Models:
    """The model classes to use (historical ones in a migration)."""

    report: Any
    transition: Any
    case: Any
    case_transition: Any
    case_sequence: Any
    category: Any


def link_cases(models: Models, *, batch: int = 500) -> int:
    """Create and link the cases of the reports that have none; returns how many."""
    category = (
        models.category.objects.filter(workflow=PARKING_WORKFLOW, parent__isnull=False)
        .order_by("sort_order", "code")
        .first()
    )
    if category is None:
        return 0
    sequences: dict[tuple[int, date], Any] = {}
    done = 0
    after = 0
    while True:
        reports = list(
            models.report.objects.filter(case__isnull=True, pk__gt=after)
            .select_related("district", "reported_by")
            .order_by("pk")[:batch]
        )
        if not reports:
            break
        after = reports[-1].pk
        _link_batch(models, category, reports, sequences)
        done += len(reports)
    _link_duplicates(models)
    return done


def _number(models: Models, sequences: dict[tuple[int, date], Any], report: Any) -> str:
    day = timezone.localtime(report.created_at).date()
    key = (report.district_id, day)
    if key not in sequences:
        sequences[key] = models.case_sequence.objects.get_or_create(
            district_id=report.district_id, day=day
        )[0]
    seq = sequences[key]
    seq.last_value += 1
    return f"AJ-{report.district.code}-{day:%Y%m%d}-{seq.last_value:04d}"


def _link_batch(
    models: Models, category: Any, reports: list[Any], sequences: dict[tuple[int, date], Any]
) -> None:
    steps: dict[int, list[Any]] = {r.pk: [] for r in reports}
    for step in models.transition.objects.filter(report_id__in=steps).order_by("at", "id"):
        steps[step.report_id].append(step)
    cases = []
    for report in reports:
        status = CASE_STATUS[Status(report.status)]
        ended = steps[report.pk][-1].at if steps[report.pk] else report.created_at
        cases.append(
            models.case(
                number=_number(models, sequences, report),
                status=status,
                category_id=category.pk,
                district_id=report.district_id,
                unit_id=report.unit_id,
                channel="officer",
                reported_by_id=report.reported_by.user_id,
                place=report.place,
                lat=report.lat,
                lon=report.lon,
                photo_id=report.photo_id,
                created_at=report.created_at,
                handle_due_at=report.deadline_at,
                closed_at=(report.closed_at or report.moved_at or ended)
                if status == CaseStatus.CLOSED
                else None,
            )
        )
    models.case.objects.bulk_create(cases)
    models.case_sequence.objects.bulk_update(list(sequences.values()), ["last_value"])
    rows = []
    for report, case in zip(reports, cases, strict=True):
        report.case_id = case.pk
        for step in steps[report.pk]:
            rows.extend(_timeline_rows(models, case, step))
    models.report.objects.bulk_update(reports, ["case"])
    models.case_transition.objects.bulk_create(rows, batch_size=1000)


def _timeline_rows(models: Models, case: Any, step: Any) -> list[Any]:
    """The case timeline rows of one parking transition (as `cases.services.follow` writes)."""
    target = CASE_STATUS[Status(step.to_status)]
    source = CASE_STATUS[Status(step.from_status)] if step.from_status else None

    def row(action: str, from_status: str, reason: str) -> Any:
        return models.case_transition(
            case_id=case.pk,
            at=step.at,
            action=action,
            from_status=from_status,
            to_status=target,
            actor_id=step.actor_id,
            actor_name=step.actor_name,
            reason=reason,
        )

    if source is None:  # the report itself
        return [row("report", "", step.reason)]
    if source == CaseStatus.REPORTED and target in REGISTERED_ON_FOLLOW:
        return [
            row("register", source, "现场立案，由上报单位处置"),
            row(step.action, target, step.reason),
        ]
    return [row(step.action, source, step.reason)]


def _link_duplicates(models: Models) -> None:
    """A duplicate report's case points at the case of the report it repeats."""
    pairs = models.report.objects.filter(
        duplicate_of__isnull=False, case__isnull=False, case__duplicate_of__isnull=True
    ).values_list("case_id", "duplicate_of__case_id")
    updates = [models.case(pk=case_id, duplicate_of_id=original) for case_id, original in pairs]
    models.case.objects.bulk_update(
        [c for c in updates if c.duplicate_of_id is not None], ["duplicate_of"], batch_size=500
    )
