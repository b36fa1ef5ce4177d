"""What people do to a case: `act` checks who may take the action (`_may`, by permission,
unit and reporter), checks and collects what the action writes (`_changes_for`), then
`transitions.transition` moves the case. Actions in `states.NEEDS_APPROVAL` are never carried
out here: they go through the approval ledger (`approvals`)."""

from __future__ import annotations

from typing import Any, Final

from smartduty.cases.models import Case
from smartduty.cases.services.common import clean_text
from smartduty.cases.services.followed import refuse_followed
from smartduty.cases.services.transitions import transition
from smartduty.cases.states import ALLOWED, NEEDS_APPROVAL, Action, Verifier
from smartduty.kernel import fsm
from smartduty.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.org.models import Officer, Unit
from smartduty.org.selectors import Actor, list_role_names
from smartduty.org.states import Role

REGISTER_CASE = "cases.register_case"
"""The 指挥中心's right: 立案, 派遣, 恢复 and asking for approvals in any unit."""
HANDLE_CASE = "cases.handle_case"
"""A unit member's right: 处置 its cases and ask for 回退/延期/缓办/作废 on them."""
_HANDLE = HANDLE_CASE
_VERIFY = "cases.verify_case"
_ROLE_BY_LABEL: Final = {str(role.label): role for role in Role}


def roles_of(actor: Actor) -> set[Role]:
    """The roles of a logged-in user (their groups, by label)."""
    if actor is None or not actor.is_authenticated:
        return set()
    names = list_role_names(user_id=actor.pk)
    return {_ROLE_BY_LABEL[name] for name in names if name in _ROLE_BY_LABEL}


def in_unit(actor: Actor, unit: Unit | None) -> bool:
    """Is `actor` an officer of `unit`?"""
    officer: Officer | None = getattr(actor, "officer", None) if actor is not None else None
    return officer is not None and unit is not None and officer.unit_id == unit.pk


# the permission each action needs; HANDLE also needs the case's unit (or 指挥中心's right)
_ACTION_PERMISSION: Final = {
    Action.REGISTER: REGISTER_CASE,
    Action.REJECT: REGISTER_CASE,
    Action.MARK_DUPLICATE: REGISTER_CASE,
    Action.DISPATCH: REGISTER_CASE,
    Action.RESUME: REGISTER_CASE,
    Action.HANDLE: _HANDLE,
    Action.VERIFY_PASS: _VERIFY,
    Action.VERIFY_FAIL: _VERIFY,
    Action.EVALUATE: REGISTER_CASE,
}


def _may(principal: Principal, actor: Actor, case: Case, action: Action) -> bool:
    is_reporter = actor is not None and case.reported_by_id == getattr(actor, "pk", None)
    if action is Action.EVALUATE and is_reporter:
        return True
    verifying = action in (Action.VERIFY_PASS, Action.VERIFY_FAIL)
    if verifying and is_reporter and case.category.verified_by == Verifier.REPORTER:
        return True
    permission = _ACTION_PERMISSION.get(action)
    if permission is None or not principal.has_perm(permission):
        return False
    if action is Action.HANDLE:
        return in_unit(actor, case.unit) or principal.has_perm(REGISTER_CASE)
    return True


def _changes_for(
    case: Case,
    action: Action,
    *,
    unit: Unit | None,
    after_photo_id: int | None,
    verify_photo_id: int | None,
    note: str,
    rating: int | None,
    duplicate_of: Case | None,
) -> dict[str, Any]:
    """What an action writes besides the status, checked (422 for what is missing)."""
    changes: dict[str, Any] = {}
    if action is Action.DISPATCH:
        unit = unit or case.unit  # the unit routed from the grid, unless one is chosen
        if unit is None:
            raise ValidationFailed("请选择处置单位（该案件所在网格未设责任单位）")
        if unit.agency.kind != case.category.agency_kind:
            raise ValidationFailed(
                f"{case.category.name}由{case.category.get_agency_kind_display()}处置，"
                f"{unit.name}不是该类单位"
            )
        changes["unit"] = unit
    elif action is Action.HANDLE:
        if case.category.after_photo_required and after_photo_id is None:
            raise ValidationFailed("该类案件须上传处置后照片才能反馈")
        changes["after_photo_id"] = after_photo_id
        changes["handling_note"] = clean_text("处置说明", note, 500)
    elif action in (Action.VERIFY_PASS, Action.VERIFY_FAIL):
        if verify_photo_id is None:
            raise ValidationFailed("核查须上传现场照片")
        changes["verify_photo_id"] = verify_photo_id
    elif action is Action.EVALUATE:
        if rating is None or not 1 <= rating <= 5:
            raise ValidationFailed("评价须为 1 到 5 分")
        changes["rating"] = rating
    elif action is Action.MARK_DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == case.pk:
            raise ValidationFailed("请指明与哪个案件重复")
        changes["duplicate_of"] = duplicate_of
    return changes


def check_may_act(case: Case, action: Action, *, principal: Principal, actor: Actor) -> None:
    """403/404/422 before any work (an upload is stored only for an action that may run)."""
    if action in NEEDS_APPROVAL:
        raise ValidationFailed(f"“{action.label}”须提交审批，由有权限的角色批准后执行")
    if not principal.covers(case.district.path):
        raise NotFound("未找到该案件，或不在您的辖区范围内")
    refuse_followed(case)  # a parking case moves only with its parking report
    if not _may(principal, actor, case, action):
        raise PermissionDenied(f"您没有权限执行“{action.label}”")
    if fsm.next_status(ALLOWED, case.status, action) is None:
        status = case.get_status_display()
        raise fsm.InvalidTransition(f"案件当前为“{status}”，不能“{action.label}”，请刷新后重试")


def act(
    case: Case,
    action: Action,
    *,
    principal: Principal,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
    unit: Unit | None = None,
    after_photo_id: int | None = None,
    verify_photo_id: int | None = None,
    note: str = "",
    rating: int | None = None,
    duplicate_of: Case | None = None,
) -> Case:
    """Take one action on a case as a person (403 when the role or unit may not; 409 when the
    case's status does not offer it; 422 for a missing photo, unit or rating)."""
    check_may_act(case, action, principal=principal, actor=actor)
    reason = clean_text("说明", reason, 200)
    changes = _changes_for(
        case,
        action,
        unit=unit,
        after_photo_id=after_photo_id,
        verify_photo_id=verify_photo_id,
        note=note,
        rating=rating,
        duplicate_of=duplicate_of,
    )
    return transition(
        case,
        action,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        changes=changes,
    )
