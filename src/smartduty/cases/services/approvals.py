"""The approval ledger: 回退, 延期, 缓办 and 作废 (`states.NEEDS_APPROVAL`) are asked for with
`request_approval` and carried out by `decide_approval`, whose approver's role must be in
`states.APPROVER_ROLES` (never the person who asked)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from smartduty.cases.models import ApprovalStatus, Case, CaseApproval
from smartduty.cases.services.acting import HANDLE_CASE, REGISTER_CASE, in_unit, roles_of
from smartduty.cases.services.common import clean_text
from smartduty.cases.services.followed import refuse_followed
from smartduty.cases.services.transitions import transition
from smartduty.cases.states import ALLOWED, APPROVER_ROLES, NEEDS_APPROVAL, Action
from smartduty.kernel import audit, fsm
from smartduty.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.org.selectors import Actor


def request_approval(
    case: Case,
    action: Action,
    *,
    principal: Principal,
    actor: Actor,
    reason: str,
    extra_hours: Decimal | None = None,
) -> CaseApproval:
    """Ask for 回退, 延期, 缓办 or 作废 (one open request per case; 409 for a second)."""
    if action not in NEEDS_APPROVAL:
        raise ValidationFailed(f"“{action.label}”无须审批")
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("请先登录")
    if not principal.covers(case.district.path):
        raise NotFound("未找到该案件，或不在您的辖区范围内")
    refuse_followed(case)
    if fsm.next_status(ALLOWED, case.status, action) is None:
        status = case.get_status_display()
        raise fsm.InvalidTransition(f"案件当前为“{status}”，不能申请“{action.label}”")
    # the 指挥中心, or a handler of the case's unit (a 监督员 placed in the unit only verifies)
    may_ask = principal.has_perm(REGISTER_CASE) or (
        principal.has_perm(HANDLE_CASE) and in_unit(actor, case.unit)
    )
    if not may_ask:
        raise PermissionDenied("只有处置单位或指挥中心可以提交此申请")
    reason = clean_text("申请理由", reason, 200)
    if len(reason) < 4:
        raise ValidationFailed("请写明申请理由（至少 4 个字）")
    if action is Action.EXTEND and (extra_hours is None or not 0 < extra_hours <= 2000):
        raise ValidationFailed("请填写延期时长（工作小时，大于 0）")
    with transaction.atomic():
        if CaseApproval.objects.filter(case=case, status=ApprovalStatus.PENDING).exists():
            raise Conflict("该案件已有待审批的申请")
        approval = CaseApproval.objects.create(
            case=case,
            action=action,
            reason=reason,
            extra_hours=extra_hours if action is Action.EXTEND else None,
            requested_by=actor,
        )
        audit.record(actor=actor, action=f"cases.approval_requested.{action}", obj=case)
    return approval


def decide_approval(
    approval: CaseApproval,
    *,
    principal: Principal,
    actor: Actor,
    approve: bool,
    note: str = "",
) -> CaseApproval:
    """Approve (the action is carried out in the same transaction) or reject a request."""
    action = Action(approval.action)
    if not principal.covers(approval.case.district.path):
        raise NotFound("未找到该申请，或不在您的辖区范围内")
    allowed = APPROVER_ROLES[action]
    if not (roles_of(actor) & allowed) and not principal.is_global:
        names = "、".join(str(role.label) for role in sorted(allowed))
        raise PermissionDenied(f"“{action.label}”须由{names}审批")
    if actor is not None and approval.requested_by_id == actor.pk and not principal.is_global:
        raise PermissionDenied("不能审批自己提交的申请")
    note = clean_text("审批意见", note, 200)
    with transaction.atomic():
        locked = CaseApproval.objects.select_for_update().get(pk=approval.pk)
        if locked.status != ApprovalStatus.PENDING:
            raise Conflict("该申请已审批")
        if approve:
            transition(
                locked.case,
                action,
                actor=actor,
                reason=f"审批通过：{locked.reason}",
                extra_hours=locked.extra_hours,
            )
        locked.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        locked.decided_by = actor if actor is not None and actor.is_authenticated else None
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save()
        audit.record(
            actor=actor,
            action=f"cases.approval_{'approved' if approve else 'rejected'}.{action}",
            obj=locked.case,
        )
    return locked
