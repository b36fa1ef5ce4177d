"""The 监督员 role (数字城管's grid supervisor): its group and permissions, its place among
the roles, and what the case core lets it do: report, and verify (核查) a handled case in its
area, including one it reported; never register, dispatch or handle."""

from __future__ import annotations

from typing import get_args

import pytest
from django.contrib.auth.models import Group

from smartduty.cases import services as cases
from smartduty.cases.models import Case, Category
from smartduty.cases.states import Action, Verifier
from smartduty.env import OtpRole
from smartduty.kernel.errors import PermissionDenied
from smartduty.org import services as org
from smartduty.org.models import Officer
from smartduty.org.roles import ROLE_PERMISSIONS, STAFF_ROLES
from smartduty.org.services import principal_for_user
from smartduty.org.states import Role
from tests.factories.evidence import make_photo
from tests.factories.org import City, make_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(city: City) -> Officer:
    """A 监督员 of district A (in its 中队, like the demo's dong_supervisor)."""
    return make_officer(city.unit_a, role=Role.SUPERVISOR, username="supervisor_a")


def _group_perms(role: Role) -> set[str]:
    group = Group.objects.get(name=str(role.label))
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_the_supervisor_group_has_exactly_its_permissions(db: None) -> None:
    assert (Role.SUPERVISOR.value, Role.SUPERVISOR.label) == ("supervisor", "监督员")
    perms = _group_perms(Role.SUPERVISOR)
    assert perms == set(ROLE_PERMISSIONS[Role.SUPERVISOR])
    assert {"cases.report_case", "cases.verify_case", "parking.report_parking"} <= perms
    assert "cases.view_case" in perms
    for never in ("cases.handle_case", "cases.register_case", "vehicles.reveal_owner_phone"):
        assert never not in perms, never
    assert not any(p.startswith("open311.") for p in perms)
    # the role list is complete: every role has its group after migrate
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_sync_keeps_the_groups_exact(db: None) -> None:
    group = Group.objects.get(name="监督员")
    group.permissions.clear()
    org.sync_role_groups()
    assert _group_perms(Role.SUPERVISOR) == set(ROLE_PERMISSIONS[Role.SUPERVISOR])


def test_a_supervisor_works_in_the_officer_app_not_the_back_office(supervisor: Officer) -> None:
    assert Role.SUPERVISOR not in STAFF_ROLES
    assert supervisor.user.is_staff is False
    assert list(supervisor.user.groups.values_list("name", flat=True)) == ["监督员"]


def _reported(officer: Officer, code: str = "E0401") -> Case:
    return cases.report_case(
        principal=principal_for_user(officer.user),
        actor=officer.user,
        category=Category.objects.get(code=code),
        district=officer.unit.district,
        place="人民路夜市东口",
    )


def _act(officer: Officer, case: Case, action: Action, **kwargs: object) -> Case:
    return cases.act(
        case, action, principal=principal_for_user(officer.user), actor=officer.user, **kwargs
    )


def test_the_supervisor_reports_and_verifies_and_the_unit_handles(
    supervisor: Officer, officer_a: Officer, commander: Officer
) -> None:
    """The acceptance walk's loop in the service layer: the 监督员 reports 占道经营 (verified
    by a 监督员), the 指挥中心 registers and dispatches, a 队员 of the unit handles, the
    reporting 监督员 verifies, and the case closes on time."""
    assert Category.objects.get(code="E0401").verified_by == Verifier.SUPERVISOR
    case = _reported(supervisor)
    for action in (Action.REGISTER, Action.DISPATCH):
        with pytest.raises(PermissionDenied):
            _act(supervisor, case, action)
    case = _act(commander, case, Action.REGISTER)
    case = _act(commander, case, Action.DISPATCH, unit=officer_a.unit)
    with pytest.raises(PermissionDenied):  # in the unit, but a 监督员 never handles
        _act(supervisor, case, Action.HANDLE, after_photo_id=make_photo(supervisor).pk)
    case = _act(officer_a, case, Action.HANDLE, after_photo_id=make_photo(officer_a).pk)
    with pytest.raises(PermissionDenied):  # the 队员 may not check their own work
        _act(officer_a, case, Action.VERIFY_PASS, verify_photo_id=make_photo(officer_a).pk)
    case = _act(supervisor, case, Action.VERIFY_PASS, verify_photo_id=make_photo(supervisor).pk)
    assert (case.status, case.on_time) == ("closed", True)


def test_a_supervisor_verifies_any_supervisor_verified_case_of_the_area(
    supervisor: Officer, officer_a: Officer, commander: Officer
) -> None:
    case = _reported(officer_a)  # reported by a 队员, not by the 监督员
    case = _act(commander, case, Action.REGISTER)
    case = _act(commander, case, Action.DISPATCH, unit=officer_a.unit)
    case = _act(officer_a, case, Action.HANDLE, after_photo_id=make_photo(officer_a).pk)
    case = _act(supervisor, case, Action.VERIFY_FAIL, verify_photo_id=make_photo(supervisor).pk)
    assert case.status == "dispatched"  # 返工: back to the unit


def test_every_role_may_be_required_to_use_two_factor() -> None:
    assert set(get_args(OtpRole)) == {role.value for role in Role}
