"""The 7-step loop on real rows: who may act, the step clocks on the working calendar (warn,
overdue, 延期, 缓办), the approval ledger and the reporter's form.

Times are local (Asia/Shanghai); 2026-12-07 is a Monday. 占道经营 (E0401) ships with 0.5 working
hours to dispatch, 2 to handle and 1 to verify, office hours 08:30-12:00 and 13:30-18:00.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from smartduty.cases import services
from smartduty.cases.models import ApprovalStatus, Case, CaseApproval, Category
from smartduty.cases.states import Action, Status
from smartduty.kernel import timers
from smartduty.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.fsm import InvalidTransition
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from smartduty.org.states import Role, UnitLevel
from tests.factories.evidence import make_photo
from tests.factories.org import City

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=TZ)


def do(who: Officer, case: Case, action: Action, **kwargs: Any) -> Case:
    return services.act(
        case, action, principal=principal_for_user(who.user), actor=who.user, **kwargs
    )


def report(who: Officer, city: City, code: str = "E0401", **kwargs: Any) -> Case:
    return services.report_case(
        principal=principal_for_user(who.user),
        actor=who.user,
        category=Category.objects.get(code=code),
        district=city.district_a,
        place="人民路88号",
        **kwargs,
    )


def decide(who: Officer, approval: CaseApproval, *, approve: bool, **kwargs: Any) -> CaseApproval:
    return services.decide_approval(
        approval,
        principal=principal_for_user(who.user),
        actor=who.user,
        approve=approve,
        **kwargs,
    )


def fire(moment: datetime) -> list[Timer]:
    with time_machine.travel(moment, tick=False):
        return timers.fire_due(now=moment)


def timeline(case: Case) -> list[str]:
    return list(case.transitions.values_list("action", flat=True))


@pytest.fixture
def dispatched(city: City, officer_a: Officer, commander: Officer) -> Case:
    """A 占道经营 case of district A, dispatched to unit A at 10:10 (handling due 13:40)."""
    with time_machine.travel(at(7, 10), tick=False):
        case = report(officer_a, city, form_data={"stall_count": 2, "goods": "果蔬"})
    with time_machine.travel(at(7, 10, 5), tick=False):
        case = do(commander, case, Action.REGISTER)
    with time_machine.travel(at(7, 10, 10), tick=False):
        return do(commander, case, Action.DISPATCH, unit=city.unit_a)


def test_seven_steps_on_time(
    city: City, officer_a: Officer, commander: Officer, dispatched: Case
) -> None:
    case = dispatched
    assert case.number.startswith("AJ-990001-20261207-")
    assert case.unit == city.unit_a
    # 10:10 + 2 working hours: 1 h 50 before lunch, 10 min after it
    assert case.step == "handle"
    assert case.step_due_at == at(7, 13, 40) == case.handle_due_at
    pending = Timer.objects.filter(subject_id=str(case.pk), status=TimerStatus.PENDING)
    assert sorted(pending.values_list("kind", flat=True)) == [
        services.STEP_OVERDUE,
        services.STEP_WARN,
    ]
    with time_machine.travel(at(7, 11), tick=False):
        case = do(
            officer_a, case, Action.HANDLE, after_photo_id=make_photo(officer_a).pk, note="已清理"
        )
    assert (case.status, case.step, case.step_due_at) == (Status.HANDLED, "verify", at(7, 12))
    with time_machine.travel(at(7, 11, 30), tick=False):
        case = do(commander, case, Action.VERIFY_PASS, verify_photo_id=make_photo(commander).pk)
    assert case.status == Status.CLOSED
    assert case.closed_at == at(7, 11, 30)
    assert case.on_time
    assert not Timer.objects.filter(subject_id=str(case.pk), status=TimerStatus.PENDING).exists()
    with time_machine.travel(at(7, 15), tick=False):
        case = do(officer_a, case, Action.EVALUATE, rating=5)
    assert (case.status, case.rating) == (Status.EVALUATED, 5)
    assert timeline(case) == [
        "report",
        "register",
        "dispatch",
        "handle",
        "verify_pass",
        "evaluate",
    ]
    assert fire(at(8, 9)) == []  # nothing left to fire


def test_warning_at_80_percent_then_overdue(dispatched: Case) -> None:
    # 80 % of 2 working hours = 96 min from 10:10 → 11:46
    assert fire(at(7, 11, 45)) == []
    assert [t.kind for t in fire(at(7, 11, 47))] == [services.STEP_WARN]
    case = Case.objects.get(pk=dispatched.pk)
    assert timeline(case)[-1] == "step_warned"
    assert case.on_time
    assert [t.kind for t in fire(at(7, 13, 41))] == [services.STEP_OVERDUE]
    case.refresh_from_db()
    assert case.overdue_steps == ["handle"]
    assert not case.on_time
    assert timeline(case)[-1] == "step_overdue"


def test_extension_moves_the_due_time(
    dispatched: Case, leader_a: Officer, commander: Officer, officer_a: Officer
) -> None:
    with time_machine.travel(at(7, 11), tick=False):
        approval = services.request_approval(
            dispatched,
            Action.EXTEND,
            principal=principal_for_user(leader_a.user),
            actor=leader_a.user,
            reason="摊主拒不配合，需联合交警",
            extra_hours=Decimal("3"),
        )
    # a 队员 and a 中队长 may not approve an extension; 指挥中心 may
    for who in (officer_a, leader_a):
        with pytest.raises(PermissionDenied):
            services.decide_approval(
                approval, principal=principal_for_user(who.user), actor=who.user, approve=True
            )
    with time_machine.travel(at(7, 11, 5), tick=False):
        decide(commander, approval, approve=True)
    case = Case.objects.get(pk=dispatched.pk)
    assert (case.status, case.extension_count) == (Status.DISPATCHED, 1)
    assert case.step_due_at == at(7, 16, 40) == case.handle_due_at  # 13:40 + 3 working hours
    assert fire(at(7, 13, 45)) == []  # the old clock's timers (11:46, 13:40) are gone
    assert Case.objects.get(pk=case.pk).on_time
    # the new span 11:05-16:40 is 245 working minutes; 80 % of it is reached at 15:51
    assert fire(at(7, 15, 50)) == []
    assert [t.kind for t in fire(at(7, 15, 52))] == [services.STEP_WARN]
    assert [t.kind for t in fire(at(7, 16, 41))] == [services.STEP_OVERDUE]
    assert Case.objects.get(pk=case.pk).overdue_steps == ["handle"]


def test_deferral_pauses_the_clock(dispatched: Case, leader_a: Officer, commander: Officer) -> None:
    with time_machine.travel(at(7, 11, 10), tick=False):
        approval = services.request_approval(
            dispatched,
            Action.DEFER,
            principal=principal_for_user(leader_a.user),
            actor=leader_a.user,
            reason="等待产权单位确认",
        )
        decide(commander, approval, approve=True)
    case = Case.objects.get(pk=dispatched.pk)
    assert case.status == Status.DEFERRED
    assert case.step == ""
    assert case.step_left_seconds == 3600  # 11:10-12:00 and 13:30-13:40
    assert fire(at(8, 17)) == []  # a day later: no clock runs, nothing fires
    with time_machine.travel(at(9, 9), tick=False):
        case = do(commander, case, Action.RESUME)
    assert (case.status, case.step_due_at) == (Status.DISPATCHED, at(9, 10))
    assert case.on_time


def test_rework_starts_a_new_handling_clock(
    dispatched: Case, officer_a: Officer, commander: Officer
) -> None:
    with time_machine.travel(at(7, 11), tick=False):
        case = do(officer_a, dispatched, Action.HANDLE, after_photo_id=make_photo(officer_a).pk)
    with time_machine.travel(at(7, 11, 20), tick=False):
        case = do(commander, case, Action.VERIFY_FAIL, verify_photo_id=make_photo(commander).pk)
    assert (case.status, case.rework_count) == (Status.DISPATCHED, 1)
    assert case.step_due_at == at(7, 14, 50)  # 11:20 + 2 working hours
    assert timeline(case)[-1] == "verify_fail"


def test_approval_rules(
    dispatched: Case, officer_a: Officer, leader_a: Officer, commander: Officer
) -> None:
    leader = principal_for_user(leader_a.user)
    # 作废: a 中队长 may approve it, not the one who asked; nobody twice
    approval = services.request_approval(
        dispatched, Action.VOID, principal=leader, actor=leader_a.user, reason="重复派遣的测试案件"
    )
    with pytest.raises(Conflict):
        services.request_approval(
            dispatched, Action.DEFER, principal=leader, actor=leader_a.user, reason="再申请一次"
        )
    with pytest.raises(PermissionDenied, match="自己"):
        services.decide_approval(approval, principal=leader, actor=leader_a.user, approve=True)
    rejected = services.decide_approval(
        approval,
        principal=principal_for_user(commander.user),
        actor=commander.user,
        approve=False,
        note="理由不足",
    )
    assert rejected.status == ApprovalStatus.REJECTED
    assert Case.objects.get(pk=dispatched.pk).status == Status.DISPATCHED  # nothing changed
    with pytest.raises(Conflict):
        decide(commander, rejected, approve=True)
    # a second request after the first was decided; approved by a 中队长 this time
    again = services.request_approval(
        dispatched,
        Action.VOID,
        principal=principal_for_user(commander.user),
        actor=commander.user,
        reason="当事人已自行整改，撤销",
    )
    services.decide_approval(again, principal=leader, actor=leader_a.user, approve=True)
    case = Case.objects.get(pk=dispatched.pk)
    assert case.status == Status.VOIDED
    assert list(CaseApproval.objects.filter(case=case).values_list("status", flat=True)) == [
        ApprovalStatus.APPROVED,
        ApprovalStatus.REJECTED,
    ]
    # approval actions never run directly, and a 队员 outside the unit may not even ask
    with pytest.raises(ValidationFailed, match="审批"):
        do(commander, case, Action.VOID)


def test_a_supervisor_in_the_unit_verifies_but_files_no_approval_request(
    city: City, dispatched: Case, officer_a: Officer
) -> None:
    supervisor = org_services.create_officer(
        username="jiandu",
        password="pass-1234",
        name="孙监督员",
        badge_number="SF7001",
        unit=city.unit_a,
        roles=[Role.SUPERVISOR],
    )
    as_supervisor = principal_for_user(supervisor.user)
    with pytest.raises(PermissionDenied, match="处置单位"):
        services.request_approval(
            dispatched,
            Action.VOID,
            principal=as_supervisor,
            actor=supervisor.user,
            reason="测试申请作废",
        )
    assert not CaseApproval.objects.filter(case=dispatched).exists()
    with pytest.raises(PermissionDenied):
        do(supervisor, dispatched, Action.HANDLE, after_photo_id=make_photo(supervisor).pk)
    with time_machine.travel(at(7, 11), tick=False):
        handled = do(officer_a, dispatched, Action.HANDLE, after_photo_id=make_photo(officer_a).pk)
    with time_machine.travel(at(7, 11, 30), tick=False):
        closed = do(
            supervisor, handled, Action.VERIFY_PASS, verify_photo_id=make_photo(supervisor).pk
        )
    assert closed.status == Status.CLOSED


def test_who_may_act(
    city: City, dispatched: Case, officer_a: Officer, officer_b: Officer, commander: Officer
) -> None:
    fresh = report(officer_a, city)
    with pytest.raises(PermissionDenied):
        do(officer_a, fresh, Action.REGISTER)  # 立案 is the 指挥中心's
    with pytest.raises(NotFound):
        do(officer_b, dispatched, Action.HANDLE, after_photo_id=make_photo(officer_b).pk)
    # another unit's 队员 in scope still may not handle unit A's case
    other = org_services.create_unit(
        name="东区二中队", agency=city.agency, level=UnitLevel.ZHONGDUI, district=city.district_a
    )
    outsider = org_services.create_officer(
        username="outsider",
        password="pass-1234",
        name="二中队员",
        badge_number="SF7777",
        unit=other,
        roles=[Role.OFFICER],
    )
    with pytest.raises(PermissionDenied):
        do(outsider, dispatched, Action.HANDLE, after_photo_id=make_photo(outsider).pk)
    # 占道经营 is the 城管's: a 交警 unit cannot be chosen
    traffic_unit = org_services.create_unit(
        name="东区交警中队", agency=city.traffic, level=UnitLevel.ZHONGDUI, district=city.district_a
    )
    registered = do(commander, fresh, Action.REGISTER)
    with pytest.raises(ValidationFailed, match="城管"):
        do(commander, registered, Action.DISPATCH, unit=traffic_unit)
    # the after-photo is the closing condition of this category
    with pytest.raises(ValidationFailed, match="处置后照片"):
        do(officer_a, dispatched, Action.HANDLE)
    # a stale version is refused, nothing changes
    with pytest.raises(InvalidTransition):
        do(commander, registered, Action.DISPATCH, unit=city.unit_a, expected_version=1)
    assert Case.objects.get(pk=registered.pk).status == Status.REGISTERED


def test_the_reporter_s_form(city: City, officer_a: Officer) -> None:
    case = report(officer_a, city, form_data={"stall_count": "3", "goods": "餐饮"})
    assert case.form_data == {"stall_count": 3, "goods": "餐饮"}
    for data, message in (
        ({"goods": "烟花"}, "须为"),
        ({"stall_count": "很多"}, "须为数字"),
        ({"stall_count": -1}, "超出范围"),
        ({"color": "红"}, "没有这些表单字段"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            report(officer_a, city, form_data=data)
    with pytest.raises(ValidationFailed, match="违停上报"):
        report(officer_a, city, code="E0404")
    with pytest.raises(ValidationFailed, match="小类"):
        report(officer_a, city, code="E04")
    with pytest.raises(ValidationFailed, match="控制字符"):
        report(officer_a, city, description="占道\u202e经营")
    first = report(officer_a, city, idempotency_key="k-12345678")
    assert report(officer_a, city, idempotency_key="k-12345678") == first
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 2


def test_registered_at_is_stamped_by_register_and_kept_by_a_void(
    city: City, officer_a: Officer, leader_a: Officer, commander: Officer, dispatched: Case
) -> None:
    assert dispatched.registered_at == at(7, 10, 5)
    with time_machine.travel(at(7, 11), tick=False):
        asked = services.request_approval(
            dispatched,
            Action.VOID,
            principal=principal_for_user(commander.user),
            actor=commander.user,
            reason="重复录入，作废",
        )
    decide(leader_a, asked, approve=True)
    voided = Case.objects.get(pk=dispatched.pk)
    assert voided.status == Status.VOIDED
    assert voided.registered_at == at(7, 10, 5)  # a void keeps the 立案 time
    rejected = do(commander, report(officer_a, city, description="另一处"), Action.REJECT)
    assert rejected.registered_at is None


def test_the_backfill_stamps_cases_registered_before_the_column(dispatched: Case) -> None:
    from smartduty.cases.backfill import stamp_registered_at  # noqa: PLC0415
    from smartduty.cases.models import CaseTransition  # noqa: PLC0415

    Case.objects.filter(pk=dispatched.pk).update(registered_at=None)
    assert stamp_registered_at(Case, CaseTransition) >= 1
    assert Case.objects.get(pk=dispatched.pk).registered_at == at(7, 10, 5)
