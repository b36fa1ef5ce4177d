"""Step alerts: when a step's clock warns (80 %) or runs out, the people who must act get an
app push through the outbox, in the timer's transaction, once per clock.

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
from smartduty.cases.models import Case, Category
from smartduty.cases.states import Action
from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.notifications.templates import CASE_STEP_ALERT, VARIABLE_MAX_CHARS
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from smartduty.org.states import Role
from tests.factories.evidence import make_photo
from tests.factories.org import City, make_officer

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
HOSTILE_PLACE = "【人民路】${x}\u200b88号\u2028东侧摊点区域北口"


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=TZ)


def do(who: Officer, case: Case, action: Action, **kwargs: Any) -> Case:
    return services.act(
        case, action, principal=principal_for_user(who.user), actor=who.user, **kwargs
    )


def fire(moment: datetime) -> list[str]:
    with time_machine.travel(moment, tick=False):
        return [t.kind for t in timers.fire_due(now=moment)]


def alerts(case: Case) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            subject_type=services.SUBJECT, subject_id=str(case.pk), template_code=CASE_STEP_ALERT
        ).order_by("id")
    )


def timeline(case: Case) -> list[str]:
    return list(case.transitions.values_list("action", flat=True))


@pytest.fixture
def registered(city: City, officer_a: Officer, commander: Officer) -> Case:
    """A 占道经营 case of district A, registered at 10:05 (dispatch due 10:35, warn 10:29)."""
    with time_machine.travel(at(7, 10), tick=False):
        case = services.report_case(
            principal=principal_for_user(officer_a.user),
            actor=officer_a.user,
            category=Category.objects.get(code="E0401"),
            district=city.district_a,
            place="人民路88号",
        )
    # user-typed text as it may be stored (older rows, the back office): cleaned for messages
    Case.objects.filter(pk=case.pk).update(place=HOSTILE_PLACE)
    with time_machine.travel(at(7, 10, 5), tick=False):
        return do(commander, case, Action.REGISTER)


@pytest.fixture
def dispatched(city: City, registered: Case, commander: Officer) -> Case:
    """Dispatched to unit A at 10:10 (handling due 13:40, warn 11:46)."""
    with time_machine.travel(at(7, 10, 10), tick=False):
        return do(commander, registered, Action.DISPATCH, unit=city.unit_a)


def inbox(client: Any) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/notifications/app")
    assert resp.status_code == 200
    rows: list[dict[str, Any]] = resp.json()
    return rows


def test_handling_warn_and_overdue_reach_the_unit_once_each(  # noqa: PLR0917 - fixtures
    dispatched: Case,
    officer_a: Officer,
    leader_a: Officer,
    officer_b: Officer,
    commander: Officer,
    api_client: Any,
) -> None:
    assert fire(at(7, 11, 47)) == [services.STEP_WARN]
    [warn] = alerts(dispatched)
    assert (warn.channel, warn.recipient_masked) == (Channel.APP_PUSH, warn.recipient_masked)
    assert warn.params["title"] == "处置时限预警"
    assert warn.params["number"] == dispatched.number
    assert warn.params["category"] == "占道经营"
    # 11:47 → 12:00 and 13:30 → 13:40: 23 working minutes left
    assert warn.params["when"] == "剩余工作时间23分钟，12-07 13:40到期"
    assert fire(at(7, 13, 41)) == [services.STEP_OVERDUE]
    warn_again, overdue = alerts(dispatched)[0], alerts(dispatched)[1]
    assert warn_again.pk == warn.pk
    assert len(alerts(dispatched)) == 2
    assert overdue.params["title"] == "处置时限已超时"
    assert overdue.params["when"] == "已于12-07 13:40到期，请尽快办理"
    assert overdue.rendered_text.startswith(f"处置时限已超时：{dispatched.number}（占道经营，")
    # the unit's 队员 and 中队长 see both in the app's inbox; another district's 队员 does not,
    # and the command centre is not asked to act on the handling step
    for who in (officer_a, leader_a):
        shown = inbox(api_client(who))
        assert [row["title"] for row in shown] == ["处置时限已超时", "处置时限预警"]
        assert shown[0]["body"] == overdue.rendered_text.removeprefix("处置时限已超时：")
        assert f"{shown[0]['title']}：{shown[0]['body']}" == overdue.rendered_text
    assert inbox(api_client(officer_b)) == []
    assert inbox(api_client(commander)) == []
    case = Case.objects.get(pk=dispatched.pk)
    assert case.overdue_steps == ["handle"]
    assert timeline(case)[-2:] == ["step_warned", "step_overdue"]


def test_the_place_is_cleaned_and_every_value_fits_the_template(dispatched: Case) -> None:
    fire(at(7, 11, 47))
    [warn] = alerts(dispatched)
    place = warn.params["place"]
    assert place == "人民路$x}88号东侧…"  # no 【】, `${`, zero-width or line separator
    assert len(place) <= 12
    for value in warn.params.values():
        assert 1 <= len(value) <= VARIABLE_MAX_CHARS
    assert "【" not in warn.rendered_text
    assert "\u200b" not in warn.rendered_text


def test_dispatch_step_alerts_the_nearest_command_centre(
    city: City, registered: Case, commander: Officer, api_client: Any
) -> None:
    # only a city-level 指挥中心 exists: it is told
    assert fire(at(7, 10, 30)) == [services.STEP_WARN]
    [warn] = alerts(registered)
    assert warn.params["title"] == "派遣时限预警"
    assert [row["title"] for row in inbox(api_client(commander))] == ["派遣时限预警"]
    # district A gets its own 指挥中心 (and B one, and an inactive one in A): the overdue
    # alert goes to A's active command officers only, one delivery each
    own = make_officer(city.unit_a, role=Role.COMMAND, username="command_a")
    second = make_officer(city.unit_a, role=Role.COMMAND, username="command_a2")
    other = make_officer(city.unit_b, role=Role.COMMAND, username="command_b")
    away = make_officer(city.unit_a, role=Role.COMMAND, username="command_away")
    away.is_active = False
    away.save()
    make_officer(city.unit_a, role=Role.OFFICER, username="not_command")
    assert fire(at(7, 10, 36)) == [services.STEP_OVERDUE]
    overdue = alerts(registered)[1:]
    assert len(overdue) == 2
    assert {d.params["title"] for d in overdue} == {"派遣时限已超时"}
    for who in (own, second):
        assert [row["title"] for row in inbox(api_client(who))] == ["派遣时限已超时"]
    assert inbox(api_client(other)) == []
    assert inbox(api_client(away)) == []
    assert [row["title"] for row in inbox(api_client(commander))] == ["派遣时限预警"]


def test_firing_twice_writes_and_sends_once(dispatched: Case) -> None:
    timer = Timer.objects.get(
        kind=services.STEP_OVERDUE, subject_id=str(dispatched.pk), status=TimerStatus.PENDING
    )
    version = services.clock_version(timer.dedupe_key)
    assert version == dispatched.version
    with time_machine.travel(at(7, 13, 41), tick=False):
        for _ in range(2):
            services.handle_step_timer(case_id=dispatched.pk, overdue=True, version=version)
            services.handle_step_timer(case_id=dispatched.pk, overdue=False, version=version)
    assert [d.params["title"] for d in alerts(dispatched)] == ["处置时限已超时", "处置时限预警"]
    case = Case.objects.get(pk=dispatched.pk)
    assert timeline(case).count("step_overdue") == 1
    assert timeline(case).count("step_warned") == 1
    # the real timers then find their clock already noted: nothing more
    assert sorted(fire(at(7, 13, 42))) == [services.STEP_OVERDUE, services.STEP_WARN]
    assert len(alerts(dispatched)) == 2
    assert timeline(Case.objects.get(pk=dispatched.pk)).count("step_overdue") == 1


def test_a_case_that_moved_on_sends_nothing(dispatched: Case, officer_a: Officer) -> None:
    old = services.clock_version(
        Timer.objects.get(
            kind=services.STEP_OVERDUE, subject_id=str(dispatched.pk), status=TimerStatus.PENDING
        ).dedupe_key
    )
    with time_machine.travel(at(7, 11), tick=False):
        handled = do(
            officer_a,
            dispatched,
            Action.HANDLE,
            after_photo_id=make_photo(officer_a).pk,
            note="已清理",
        )
    assert handled.version != old
    before = timeline(handled)
    # a stale handling timer (the case is in the verify step now, still running a clock)
    with time_machine.travel(at(7, 13, 41), tick=False):
        services.handle_step_timer(case_id=handled.pk, overdue=True, version=old)
        services.handle_step_timer(case_id=handled.pk, overdue=False, version=old)
    assert alerts(handled) == []
    assert timeline(Case.objects.get(pk=handled.pk)) == before
    # the real ones of the dispatch and handling clocks were cancelled by the transitions
    cancelled = Timer.objects.filter(subject_id=str(handled.pk), status=TimerStatus.CANCELLED)
    assert cancelled.count() == 4


def test_an_extended_clock_that_runs_out_again_alerts_again(
    dispatched: Case, leader_a: Officer, commander: Officer
) -> None:
    assert sorted(fire(at(7, 13, 41))) == [services.STEP_OVERDUE, services.STEP_WARN]
    with time_machine.travel(at(7, 14), tick=False):
        approval = services.request_approval(
            dispatched,
            Action.EXTEND,
            principal=principal_for_user(leader_a.user),
            actor=leader_a.user,
            reason="摊主拒不配合，需联合交警",
            extra_hours=Decimal("1"),
        )
        services.decide_approval(
            approval,
            principal=principal_for_user(commander.user),
            actor=commander.user,
            approve=True,
        )
    fired = fire(at(7, 15, 1))  # 14:00 + 1 working hour = 15:00
    assert services.STEP_OVERDUE in fired
    overdue = [d for d in alerts(dispatched) if d.params["title"] == "处置时限已超时"]
    assert len(overdue) == 2
    assert overdue[1].params["when"] == "已于12-07 15:00到期，请尽快办理"
    assert Case.objects.get(pk=dispatched.pk).overdue_steps == ["handle"]
