"""Every parking report is a case of 违法停车 on the case core: created with the report, moved
by every parking transition along `states.CASE_STATUS`, counted in the KPIs; the data
migration's function gives old reports their cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from smartduty.cases import services as cases
from smartduty.cases.models import Case, CaseSequence, CaseTransition, Category, Workflow
from smartduty.cases.states import FOLLOWABLE
from smartduty.cases.states import Status as CaseStatus
from smartduty.kernel import fsm
from smartduty.kernel.errors import ValidationFailed
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from smartduty.parking import services
from smartduty.parking.backfill import Models, link_cases
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import CASE_STATUS, Action, Status
from smartduty.stats.selectors import case_kpis
from tests.factories.grids import make_grid, square
from tests.factories.org import City
from tests.factories.parking import make_report, register_owner, report_in

pytestmark = pytest.mark.django_db


def case_of(report: ParkingReport) -> Case:
    report.refresh_from_db()
    assert report.case is not None
    return report.case


def actions(case: Case) -> list[str]:
    return list(
        CaseTransition.objects.filter(case=case).order_by("id").values_list("action", flat=True)
    )


def test_every_parking_status_maps_onto_a_followable_case_status() -> None:
    assert set(CASE_STATUS) == set(Status)
    assert set(CASE_STATUS.values()) <= FOLLOWABLE


def test_a_report_is_one_case_of_the_parking_category(city: City, officer_a: Officer) -> None:
    grid = make_grid(city.street_a, "990001001001001", square(115.98, 36.45), name="人民路东段")
    report = make_report(officer_a, lat=36.455, lon=115.985)
    case = case_of(report)
    assert Case.objects.count() == 1
    assert case.category == Category.objects.get(code="E0404")
    assert case.category.workflow == Workflow.PARKING
    assert case.number.startswith(f"AJ-{city.district_a.code}-")
    assert case.status == CaseStatus.REPORTED
    assert (case.channel, case.district, case.unit) == ("officer", city.district_a, officer_a.unit)
    assert case.reported_by == officer_a.user
    assert (case.place, case.lat, case.lon, case.photo_id) == (
        report.place,
        report.lat,
        report.lon,
        report.photo_id,
    )
    assert case.grid == grid
    assert case.created_at == report.created_at
    assert not case.step  # no step clocks: the move window is the clock
    first = CaseTransition.objects.get(case=case)
    assert (first.action, first.to_status) == ("report", CaseStatus.REPORTED)
    assert "990001001001001" in first.reason


def test_the_idempotency_key_retry_makes_no_second_case(officer_a: Officer) -> None:
    first = make_report(officer_a, idempotency_key="offline-key-0001")
    again = make_report(officer_a, idempotency_key="offline-key-0001")
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert case_of(again) == case_of(first)


def test_without_the_parking_category_a_report_still_works(officer_a: Officer) -> None:
    Category.objects.filter(workflow=Workflow.PARKING).update(workflow=Workflow.STANDARD)
    report = make_report(officer_a)
    assert report.case_id is None
    assert Case.objects.count() == 0


@pytest.mark.parametrize("status", list(Status))
def test_each_parking_status_puts_the_case_where_the_mapping_says(
    officer_a: Officer, status: Status
) -> None:
    report = report_in(status, officer_a)
    case = case_of(report)
    assert report.status == status
    assert case.status == CASE_STATUS[status]
    steps = actions(case)
    parking_steps = list(report.transitions.order_by("id").values_list("action", flat=True))
    # the case timeline is the report's, plus the 立案 row where it left 上报 for a handled status
    assert [a for a in steps if a != "register"] == parking_steps
    registered = CASE_STATUS[status] in (CaseStatus.DISPATCHED, CaseStatus.CLOSED)
    assert steps.count("register") == (1 if registered else 0)
    if CASE_STATUS[status] == CaseStatus.CLOSED:
        assert case.closed_at is not None
        assert case.on_time
    else:
        assert case.closed_at is None


def test_the_move_deadline_is_the_cases_handling_due_time(officer_a: Officer) -> None:
    register_owner(officer_a)
    report = make_report(officer_a, confirm=True)
    case = case_of(report)
    assert report.status == Status.AWAITING_MOVE
    assert case.status == CaseStatus.DISPATCHED
    assert case.handle_due_at == report.deadline_at
    version = case.version
    services.handle_move_deadline(report_id=report.pk)  # 待复查: still 处置中
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED
    assert case.version == version
    assert actions(case)[-1] == "deadline_lapsed"


def test_void_and_duplicate(officer_a: Officer, leader_a: Officer) -> None:
    register_owner(officer_a)
    original = make_report(officer_a, confirm=True)
    duplicate = make_report(officer_a, confirm=True)
    assert duplicate.status == Status.DUPLICATE
    dup_case = case_of(duplicate)
    assert dup_case.status == CaseStatus.DUPLICATE
    assert dup_case.duplicate_of == case_of(original)
    voided = services.apply_officer_action(
        principal=principal_for_user(leader_a.user),
        actor=leader_a.user,
        report=original,
        action=Action.VOID,
        reason="车牌识别错误",
    )
    case = case_of(voided)
    assert case.status == CaseStatus.VOIDED
    assert CaseTransition.objects.filter(case=case).last().reason == "车牌识别错误"  # type: ignore[union-attr]


def test_a_failed_parking_move_leaves_the_case_alone(officer_a: Officer) -> None:
    report = make_report(officer_a)
    with pytest.raises(fsm.InvalidTransition):
        services.transition(report, Action.CLOSE, actor=officer_a.user)
    assert case_of(report).status == CaseStatus.REPORTED
    assert actions(case_of(report)) == ["report"]


def test_follow_refuses_standard_cases_and_ended_ones(officer_a: Officer) -> None:
    standard = cases.report_case(
        principal=principal_for_user(officer_a.user),
        actor=officer_a.user,
        category=Category.objects.get(code="E0401"),
        district=officer_a.unit.district,
    )
    with pytest.raises(ValueError, match="standard"):
        cases.follow(standard.pk, CaseStatus.DISPATCHED, action="x", actor=None)
    with pytest.raises(ValidationFailed):
        cases.refuse_followed(case_of(make_report(officer_a, plate="鲁PB22222")))
    ended = case_of(report_in(Status.VOID, officer_a, plate="鲁PC33333"))
    with pytest.raises(fsm.InvalidTransition):
        cases.follow(ended.pk, CaseStatus.DISPATCHED, action="x", actor=None)


def test_kpis_count_parking(city: City, officer_a: Officer, commander: Officer) -> None:
    """受理, 立案, 结案 and 按期 of 违法停车 with no change in `stats`."""
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        for status in (Status.REPORTED, Status.MOVED, Status.CLOSED, Status.AWAITING_MOVE):
            report_in(status, officer_a, plate=f"鲁PA1{list(Status).index(status):04d}")
    today = date(2026, 3, 10)
    table = case_kpis(
        principal=principal_for_user(commander.user),
        date_from=today,
        date_to=today,
        group_by="category",
    )
    (row,) = table.rows
    assert (row.key, row.label) == ("E0404", "违法停车")
    assert row.received == 4
    assert row.registered == 3  # the plate confirmed: all but the one still 上报
    assert row.closed == 2  # 劝离 and 贴单办结, closed today
    assert row.closed_on_time == 2
    assert row.due == 3  # and the one texted, due at its move deadline the same day
    assert row.closure_rate is not None
    assert row.closure_rate == Decimal("66.67")  # 2 of 3 due


def test_the_migration_function_gives_old_reports_their_cases(
    city: City, officer_a: Officer
) -> None:
    made = {
        status: report_in(status, officer_a, plate=f"鲁PD{i:05d}")
        for i, status in enumerate(Status)
    }
    expected = {s: (case_of(r).status, actions(case_of(r))) for s, r in made.items()}
    # as before the link: reports without cases (numbers restart as on a fresh day)
    ParkingReport.objects.update(case=None)
    CaseTransition.objects.all().delete()
    Case.objects.filter(duplicate_of__isnull=False).delete()
    Case.objects.all().delete()
    CaseSequence.objects.all().delete()
    models = Models(
        report=ParkingReport,
        transition=apps.get_model("parking", "ParkingTransition"),
        case=Case,
        case_transition=CaseTransition,
        case_sequence=CaseSequence,
        category=Category,
    )
    assert link_cases(models, batch=3) == ParkingReport.objects.count()
    assert link_cases(models) == 0  # idempotent
    for status, report in made.items():
        case = case_of(report)
        assert (case.status, actions(case)) == expected[status], status
        assert case.category.code == "E0404"
        assert case.unit == officer_a.unit
        assert case.created_at == report.created_at
    numbers = sorted(Case.objects.values_list("number", flat=True))
    day = timezone.localdate()
    assert numbers[0] == f"AJ-990001-{day:%Y%m%d}-0001"
    assert len(set(numbers)) == Case.objects.count()
    assert CaseSequence.objects.get().last_value == Case.objects.count()
    dup = case_of(made[Status.DUPLICATE])
    assert dup.duplicate_of is not None
    assert dup.duplicate_of.parking_report.plate == made[Status.DUPLICATE].plate
    closed = case_of(made[Status.CLOSED])
    assert closed.closed_at is not None
    assert closed.closed_at - made[Status.CLOSED].created_at < timedelta(minutes=5)
