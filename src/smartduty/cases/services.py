"""Writes of the case core: report a case, move it along `states.ALLOWED`, run the approval
ledger and the step clocks.

- `report_case` opens a case (上报) in the reporter's scope, numbered per district and day.
  It finds the grid that holds the case's point (`grids.selectors.locate`) and routes the
  case to the grid's unit for the category's agency kind (`Case.unit`, the default of 派遣).
  An open case of the same category within the category's duplicate radius makes the new
  report a linked duplicate (重复上报, `duplicate_of`, a timeline row on the original) rather
  than a second open case, unless the reporter says it is a different problem.
- `act` is what people do: it checks who may take the action (`_may`), then `transition`
  moves the case. Actions in `states.NEEDS_APPROVAL` are never carried out by `act`: they go
  through `request_approval` → `decide_approval`, and the approver's role must be in
  `states.APPROVER_ROLES`.
- `transition` is the one place that changes `status`. In the same transaction it stops the
  clock of the step it leaves and starts the clock of the step it enters (`STEP_OF_STATUS`):
  the due time comes from the category's limit on the working calendar, and two timers are
  scheduled: `cases.step_warn` when 80 % of the clock's span has run, `cases.step_overdue` at
  the due time. 缓办 (DEFERRED) stops the handling clock and keeps the working time it had
  left; 恢复办理 starts it again with that time. 延期 pushes the handling due time back by the
  approved hours. A step that runs past its due time is recorded in `overdue_steps`, so the
  case is not 按期 (on time) whatever happens next.
"""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from smartduty.cases import selectors
from smartduty.cases.events import case_ended
from smartduty.cases.models import (
    ApprovalStatus,
    Case,
    CaseApproval,
    CaseSequence,
    CaseTransition,
    Category,
    Channel,
    Workflow,
)
from smartduty.cases.states import (
    ALLOWED,
    APPROVER_ROLES,
    FOLLOWABLE,
    NEEDS_APPROVAL,
    REGISTERED_ON_FOLLOW,
    STEP_OF_STATUS,
    TERMINAL,
    Action,
    Status,
    Step,
    Verifier,
)
from smartduty.cases.workcalendar import LimitUnit, WorkCalendar
from smartduty.evidence.models import Photo
from smartduty.grids import selectors as grids
from smartduty.grids.models import Grid
from smartduty.kernel import audit, fsm, timers
from smartduty.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.kernel.text import has_hidden_characters
from smartduty.notifications import services as outbox
from smartduty.notifications.ports import Channel as MessageChannel
from smartduty.notifications.templates import CASE_STEP_ALERT
from smartduty.org.models import District, Officer, Unit
from smartduty.org.selectors import (
    Actor,
    actor_name,
    list_nearest_officers_with_role,
    list_role_names,
)
from smartduty.org.states import Role

SUBJECT: Final = "cases.case"
STEP_WARN: Final = "cases.step_warn"
STEP_OVERDUE: Final = "cases.step_overdue"
WARN_SHARE: Final = 0.8
"""The warning fires when this share of a clock's span has run."""

_REGISTER = "cases.register_case"
_HANDLE = "cases.handle_case"
_VERIFY = "cases.verify_case"
_ROLE_BY_LABEL: Final = {str(role.label): role for role in Role}


def _clean_text(label: str, value: str, limit: int) -> str:
    value = value.strip()
    if has_hidden_characters(value):
        raise ValidationFailed(f"{label}不能包含控制字符或不可见字符")
    if len(value) > limit:
        raise ValidationFailed(f"{label}最多 {limit} 个字")
    return value


def _clean_value(spec: dict[str, Any], value: object) -> object:
    label = str(spec["label"])
    kind = spec["type"]
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationFailed(f"“{label}”须为数字")
        try:
            number = float(value)
        except ValueError:
            raise ValidationFailed(f"“{label}”须为数字") from None
        if not (0 <= number <= 1_000_000):
            raise ValidationFailed(f"“{label}”超出范围")
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationFailed(f"“{label}”须为是或否")
        return value
    if kind == "choice":
        if value not in spec["choices"]:
            raise ValidationFailed(f"“{label}”须为：{'、'.join(spec['choices'])}")
        return value
    return _clean_text(label, str(value), 200)


def clean_form_data(category: Category, data: dict[str, Any] | None) -> dict[str, Any]:
    """The reporter's answers to the category's form fields, checked and typed (422 else)."""
    data = dict(data or {})
    declared = {f["name"]: f for f in category.form_fields}
    unknown = set(data) - set(declared)
    if unknown:
        raise ValidationFailed(f"{category.name}没有这些表单字段：{', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for name, spec in declared.items():
        value = data.get(name)
        if value is None or value == "":
            if spec.get("required"):
                raise ValidationFailed(f"请填写“{spec['label']}”")
            continue
        clean[name] = _clean_value(spec, value)
    return clean


def _next_number(district: District, at: datetime) -> str:
    day = timezone.localtime(at).date()
    seq, _ = CaseSequence.objects.select_for_update().get_or_create(district=district, day=day)
    seq.last_value += 1
    seq.save(update_fields=["last_value"])
    return f"AJ-{district.code}-{day:%Y%m%d}-{seq.last_value:04d}"


def check_may_report(
    *,
    principal: Principal,
    category: Category,
    district: District,
    description: str = "",
    place: str = "",
    form_data: dict[str, Any] | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """403/404/422 for a report that cannot be made (called before any upload is stored);
    returns the cleaned description, place and form answers."""
    if not principal.has_perm("cases.report_case"):
        raise PermissionDenied("您没有上报案件的权限")
    if not principal.covers(district.path):
        raise NotFound("未找到该辖区，或不在您的辖区范围内")
    if not category.active or category.parent_id is None:
        raise ValidationFailed("请选择一个启用的小类")
    if category.workflow == Workflow.PARKING:
        raise ValidationFailed("违法停车请使用违停上报（拍照识别车牌并短信通知车主）")
    return (
        _clean_text("问题描述", description, 500),
        _clean_text("地点", place, 60),
        clean_form_data(category, form_data),
    )


def report_case(
    *,
    principal: Principal,
    actor: Actor,
    category: Category,
    district: District,
    channel: Channel = Channel.OFFICER,
    description: str = "",
    place: str = "",
    lat: float | None = None,
    lon: float | None = None,
    form_data: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    photo: Photo | None = None,
    not_duplicate: bool = False,
) -> Case:
    """上报: a new case in REPORTED, in the reporter's district scope (the same key twice
    answers the first case, never a second one), in its grid and routed to the grid's unit.

    An open case of the same category within `category.duplicate_radius_m` (in the
    reporter's scope) turns the report into a 重复上报 linked to it, unless `not_duplicate`
    (the reporter saw the nearby cases and says this is another problem)."""
    description, place, fields = check_may_report(
        principal=principal,
        category=category,
        district=district,
        description=description,
        place=place,
        form_data=form_data,
    )
    if (lat is not None and not -90 <= lat <= 90) or (lon is not None and not -180 <= lon <= 180):
        raise ValidationFailed("坐标超出范围")
    point = (lat, lon) if lat is not None and lon is not None else None
    # outside the transaction: the first lookup of a process builds the grid index
    grid = _grid_of(district, point)
    with transaction.atomic():
        if idempotency_key:
            existing = Case.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        original = (
            selectors.find_open_duplicate(
                principal=principal, category=category, lat=point[0], lon=point[1]
            )
            if point is not None and not not_duplicate
            else None
        )
        unit = (
            grids.find_responsible_unit(grid=grid, agency_kind=category.agency_kind)
            if grid is not None and original is None
            else None
        )
        now = timezone.now()
        case = Case.objects.create(
            number=_next_number(district, now),
            category=category,
            district=district,
            channel=channel,
            reported_by=actor if actor is not None and actor.is_authenticated else None,
            idempotency_key=idempotency_key or None,
            description=description,
            place=place,
            lat=lat,
            lon=lon,
            grid=grid,
            unit=unit,
            form_data=fields,
            photo=photo,
            created_at=now,
        )
        CaseTransition.objects.create(
            case=case,
            at=now,
            action="report",
            to_status=Status.REPORTED,
            actor=case.reported_by,
            actor_name=actor_name(actor),
            reason=_routing_note(grid, unit, category),
        )
        if original is not None:
            case = _link_duplicate(case, original.case, distance_m=original.distance_m)
    return case


def _grid_of(district: District, point: tuple[float, float] | None) -> Grid | None:
    """The grid that holds the point, if it lies in the case's district or around it (a grid
    of another district is not this district's to route)."""
    if point is None:
        return None
    grid = grids.locate(*point)
    if grid is None:
        return None
    path = grid.district.path
    return grid if path.startswith(district.path) or district.path.startswith(path) else None


def _routing_note(grid: Grid | None, unit: Unit | None, category: Category) -> str:
    if grid is None:
        return ""
    kind = category.get_agency_kind_display()
    where = f"网格 {grid.code}（{grid.name}）"
    return f"{where}，派往{unit.name}" if unit is not None else f"{where}，未设{kind}责任单位"


def _link_duplicate(case: Case, original: Case, *, distance_m: float) -> Case:
    """重复上报: the new case moves to DUPLICATE (the table's 判定为重复上报), linked to the
    open case it repeats; the original's timeline says so."""
    linked = transition(
        case,
        Action.MARK_DUPLICATE,
        actor=None,
        reason=f"与 {original.number} 重复（相距约 {distance_m:.0f} 米，同类未结案件）",
        changes={"duplicate_of": original},
    )
    _timeline(original, "duplicate_reported", f"收到重复上报 {case.number}，已关联")
    return linked


# --- who may do what -----------------------------------------------------------------------


def roles_of(actor: Actor) -> set[Role]:
    """The roles of a logged-in user (their groups, by label)."""
    if actor is None or not actor.is_authenticated:
        return set()
    names = list_role_names(user_id=actor.pk)
    return {_ROLE_BY_LABEL[name] for name in names if name in _ROLE_BY_LABEL}


def _in_unit(actor: Actor, unit: Unit | None) -> bool:
    officer: Officer | None = getattr(actor, "officer", None) if actor is not None else None
    return officer is not None and unit is not None and officer.unit_id == unit.pk


# the permission each action needs; HANDLE also needs the case's unit (or 指挥中心's right)
_ACTION_PERMISSION: Final = {
    Action.REGISTER: _REGISTER,
    Action.REJECT: _REGISTER,
    Action.MARK_DUPLICATE: _REGISTER,
    Action.DISPATCH: _REGISTER,
    Action.RESUME: _REGISTER,
    Action.HANDLE: _HANDLE,
    Action.VERIFY_PASS: _VERIFY,
    Action.VERIFY_FAIL: _VERIFY,
    Action.EVALUATE: _REGISTER,
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
        return _in_unit(actor, case.unit) or principal.has_perm(_REGISTER)
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
        changes["handling_note"] = _clean_text("处置说明", note, 500)
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
    reason = _clean_text("说明", reason, 200)
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


# --- the one place that changes status ----------------------------------------------------


def _marks(case: Case, action: Action, target: Status, now: datetime) -> dict[str, Any]:
    """What an action records on the case besides its clocks: 回退 returns it to the command
    centre, 返工 counts, 立案 and 结案 are stamped."""
    marks: dict[str, Any] = {}
    if action is Action.SEND_BACK:
        marks["unit"] = None  # back to the command centre, to dispatch again
    if action is Action.VERIFY_FAIL:
        marks["rework_count"] = case.rework_count + 1
    if action is Action.REGISTER and case.registered_at is None:
        marks["registered_at"] = now
    if target == Status.CLOSED:
        marks["closed_at"] = now
    return marks


def _span(calendar: WorkCalendar, unit: LimitUnit, start: datetime, seconds: float) -> datetime:
    if unit is LimitUnit.CLOCK_HOURS:
        return start + timedelta(seconds=seconds)
    return calendar.add(start, seconds)


def _start_clock(
    obj: Case, step: Step, now: datetime, calendar: WorkCalendar, seconds: float | None = None
) -> dict[str, Any]:
    """Fields that start `step`'s clock at `now` for its full limit (or `seconds` of it)."""
    amount, unit = obj.category.limit(step)
    total = calendar.limit_seconds(float(amount), unit) if seconds is None else seconds
    due = _span(calendar, unit, now, total)
    warn = _span(calendar, unit, now, total * WARN_SHARE)
    fields: dict[str, Any] = {
        "step": step,
        "step_started_at": now,
        "step_due_at": due,
        "step_left_seconds": None,
    }
    if step is Step.HANDLE:
        fields["handle_due_at"] = due
    _schedule_clock(obj.pk, obj.version, warn=warn, due=due)
    return fields


def _schedule_clock(pk: int, version: int, *, warn: datetime, due: datetime) -> None:
    # the version makes each clock's timers its own: a stale one finds a newer version, stops
    for kind, at in ((STEP_WARN, warn), (STEP_OVERDUE, due)):
        timers.schedule(
            kind=kind,
            subject_type=SUBJECT,
            subject_id=str(pk),
            due_at=at,
            dedupe_key=f"{kind}:{pk}:{version}",
        )


def _stop_clock(pk: int) -> None:
    for kind in (STEP_WARN, STEP_OVERDUE):
        timers.cancel(kind=kind, subject_type=SUBJECT, subject_id=str(pk))


_CLEARED: Final = {"step": "", "step_started_at": None, "step_due_at": None}


def transition(
    case: Case,
    action: Action,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
    changes: dict[str, Any] | None = None,
    extra_hours: Decimal | None = None,
) -> Case:
    """Move a case along `states.ALLOWED` and run its clocks (see the module docstring)."""
    joined = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if joined else transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
        if expected_version is not None and locked.version != expected_version:
            raise fsm.InvalidTransition("案件已被他人更新，请刷新后重试")
        source = Status(locked.status)
        moved_to = fsm.next_status(ALLOWED, source, action)
        if moved_to is None:
            raise fsm.InvalidTransition(
                f"案件当前为“{source.label}”，不能“{action.label}”，请刷新后重试"
            )
        target = Status(moved_to)
        now = timezone.now()
        calendar = selectors.work_calendar()
        fields: dict[str, Any] = dict(changes or {})
        locked.version += 1  # the clocks below are keyed on the new version
        _stop_clock(locked.pk)
        if action is Action.DEFER:
            assert locked.step_due_at is not None  # noqa: S101 - DISPATCHED runs the clock
            _, unit = locked.category.limit(Step.HANDLE)
            fields.update(_CLEARED)
            fields["step_left_seconds"] = calendar.elapsed(now, locked.step_due_at, unit)
        elif action is Action.RESUME:
            left = locked.step_left_seconds or 0.0
            fields.update(_start_clock(locked, Step.HANDLE, now, calendar, seconds=left))
        elif action is Action.EXTEND:
            assert locked.step_due_at is not None  # noqa: S101 - DISPATCHED runs the clock
            hours = float(extra_hours or 0)
            base = max(locked.step_due_at, now)
            due = calendar.add(base, hours * 3600)
            warn = calendar.add(now, calendar.between(now, due) * WARN_SHARE)
            _schedule_clock(locked.pk, locked.version, warn=warn, due=due)
            fields.update({"step_due_at": due, "handle_due_at": due})
            fields["extension_count"] = locked.extension_count + 1
        elif target in STEP_OF_STATUS:
            fields.update(_start_clock(locked, STEP_OF_STATUS[target], now, calendar))
        else:
            fields.update(_CLEARED)
        fields.update(_marks(locked, action, target, now))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.status = target
        locked.save()
        CaseTransition.objects.create(
            case=locked,
            at=now,
            action=action,
            from_status=source,
            to_status=target,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=actor_name(actor),
            reason=reason[:200],
        )
        if target in TERMINAL and source not in TERMINAL:
            case_ended.send(sender=Case, case=locked)
    return locked


# --- the approval ledger -------------------------------------------------------------------


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
    may_ask = principal.has_perm(_REGISTER) or _in_unit(actor, case.unit)
    if not may_ask:
        raise PermissionDenied("只有处置单位或指挥中心可以提交此申请")
    reason = _clean_text("申请理由", reason, 200)
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
    note = _clean_text("审批意见", note, 200)
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


# --- the step timers -----------------------------------------------------------------------


def _timeline(case: Case, action: str, reason: str) -> None:
    CaseTransition.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=case.status,
        actor_name="系统",
        reason=reason,
    )


def clock_version(dedupe_key: str | None) -> int | None:
    """The case version a step timer belongs to: the last part of its dedupe key
    (`<kind>:<case pk>:<version>`, written by `_schedule_clock`); None for another shape."""
    tail = (dedupe_key or "").rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def handle_step_timer(*, case_id: int, overdue: bool, version: int | None = None) -> None:
    """`cases.step_warn` / `cases.step_overdue` (idempotent): a timeline entry, for the due
    time the step in `overdue_steps`, and an app push to the people who must act
    (`_alert_step`), all in one transaction. Nothing happens when the clock was stopped or
    the case moved on since the timer was set (`version`, from `clock_version`), and nothing
    twice for one clock."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))  # unit is a nullable (outer) join
            .select_related("category", "district", "unit")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.status in TERMINAL or not case.step:
            return
        if version is not None and version != case.version:
            return  # a stale clock: the case moved on (its timers were cancelled then)
        now = timezone.now()
        if case.step_due_at is None or (overdue and now < case.step_due_at):
            return
        step = Step(case.step)
        entry = "step_overdue" if overdue else "step_warned"
        if _clock_noted(case, entry):
            return
        due = timezone.localtime(case.step_due_at)
        if overdue:
            if step not in case.overdue_steps:
                case.overdue_steps = [*case.overdue_steps, step.value]
                case.save(update_fields=["overdue_steps"])
            _timeline(case, entry, f"{step.label}已到，案件超时")
        else:
            _timeline(case, entry, f"{step.label}即将到期（{due:%m-%d %H:%M}）")
        _alert_step(case, step, overdue=overdue, now=now)


def _clock_noted(case: Case, entry: str) -> bool:
    """Has the running clock already written `entry`? Every change of `version` writes one
    timeline row of an `Action`, so the clock's rows are those after the last such row."""
    rows = CaseTransition.objects.filter(case=case)
    started = rows.filter(action__in=Action.values).order_by("-id").values_list("id", flat=True)
    return rows.filter(action=entry, id__gt=started.first() or 0).exists()


def _alert_step(case: Case, step: Step, *, overdue: bool, now: datetime) -> None:
    """The step alert as app pushes, in the caller's transaction: for 派遣 and 核查 to each
    指挥中心 officer of the nearest command level of the case's district; for 处置 to the
    case's unit (its 中队长 and 队员 see the unit's pushes in their inbox). One delivery per
    recipient and clock (dedupe key with the case's version)."""
    if step is Step.HANDLE:
        addresses = [str(case.unit.public_id)] if case.unit is not None else []
    else:
        officers = list_nearest_officers_with_role(district=case.district, role=Role.COMMAND)
        addresses = [str(officer.public_id) for officer in officers]
    if not addresses:
        return
    params = _step_alert_params(case, step, overdue=overdue, now=now)
    kind = "overdue" if overdue else "warn"
    for address in addresses:
        outbox.request(
            channel=MessageChannel.APP_PUSH,
            address=address,
            template_code=CASE_STEP_ALERT,
            params=params,
            signature="",
            subject_type=SUBJECT,
            subject_id=str(case.pk),
            dedupe_key=f"cases:{case.pk}:{step.value}:{kind}:v{case.version}:{address}",
        )


def _step_alert_params(case: Case, step: Step, *, overdue: bool, now: datetime) -> dict[str, str]:
    """`SD_APP_002`'s values (each 1-35 plain characters; user-typed text cleaned, cut)."""
    assert case.step_due_at is not None  # noqa: S101 - a running clock has a due time
    due = f"{timezone.localtime(case.step_due_at):%m-%d %H:%M}"
    if overdue:
        title, when = f"{step.label}已超时", f"已于{due}到期，请尽快办理"
    else:
        _, unit = case.category.limit(step)
        left = selectors.work_calendar().elapsed(now, case.step_due_at, unit)
        clock = "" if unit is LimitUnit.CLOCK_HOURS else "工作时间"
        title, when = f"{step.label}预警", f"剩余{clock}{_duration(left)}，{due}到期"
    return {
        "title": title,
        "number": case.number,
        "category": _plain(case.category.name, 16) or case.category.code,
        "place": _plain(case.place, 12) or _plain(case.district.name, 12) or "未填地点",
        "when": when,
    }


def _duration(seconds: float) -> str:
    """`1小时36分`, `16分钟` (at least one minute)."""
    minutes = max(1, round(seconds / 60))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}分钟"
    return f"{hours}小时{rest}分" if rest else f"{hours}小时"


_HIDDEN: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
"""Unicode categories dropped from user text put in a message (as `kernel.text` refuses)."""


def _plain(text: str, limit: int) -> str:
    """User-typed text fit for a message template: no hidden characters, no 【】 or `${`
    (the template rules), whitespace collapsed, at most `limit` characters (… when cut)."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in _HIDDEN)
    kept = " ".join(kept.replace("【", "").replace("】", "").replace("${", "$").split())
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


# --- the public channel (Open311) ---------------------------------------------------------

PUBLIC_PERMISSIONS: Final = frozenset({"cases.report_case", "evidence.add_photo"})


def public_principal(*, district: District, source: str) -> Principal:
    """What a partner system (an Open311 API key of `district`) may do: report cases and add
    their photos in that district's subtree; no user, no officer, nothing else."""
    return Principal(
        user_id=None,
        username=source[:150],
        district_path=district.path,
        permissions=PUBLIC_PERMISSIONS,
    )


def report_public_case(
    *,
    source: str,
    category: Category,
    district: District,
    description: str = "",
    place: str = "",
    lat: float | None = None,
    lon: float | None = None,
    form_data: dict[str, Any] | None = None,
    photo: Photo | None = None,
) -> Case:
    """上报 from the public (channel PUBLIC, through a partner system named by `source`, such
    as the 12345 hotline): `report_case` with the partner's principal and no signed-in
    reporter, so nobody can 评价 it or verify it as its reporter; the timeline names the
    source instead of 系统. Joins the caller's transaction."""
    with transaction.atomic():
        case = report_case(
            principal=public_principal(district=district, source=source),
            actor=None,
            category=category,
            district=district,
            channel=Channel.PUBLIC,
            description=description,
            place=place,
            lat=lat,
            lon=lon,
            form_data=form_data,
            photo=photo,
        )
        CaseTransition.objects.filter(case=case, action="report", actor=None).update(
            actor_name=f"公众（{source}）"[:60]
        )
    return case


# --- cases that follow another loop (违法停车: `workflow` other than standard) -------------
# Such a case is opened and moved only by its own app, whose table decides what is legal; the
# core keeps the case row, its number and timeline, and counts it in the KPIs. No step clocks
# run: the other loop's own deadline (the parking move window) is its clock.


def followed_category(workflow: Workflow) -> Category | None:
    """The 小类 whose cases run `workflow`'s loop (None when a city has removed it)."""
    return (
        Category.objects.filter(workflow=workflow, parent__isnull=False)
        .order_by("sort_order", "code")
        .first()
    )


def grid_for(district: District, lat: float | None, lon: float | None) -> Grid | None:
    """The core's routing grid of a point in or around `district` (call it before the
    transaction: the first look-up of a process builds the grid index)."""
    return _grid_of(district, (lat, lon) if lat is not None and lon is not None else None)


def open_followed(
    *,
    category: Category,
    district: District,
    unit: Unit,
    actor: Actor,
    place: str,
    lat: float | None,
    lon: float | None,
    photo: Photo | None,
    grid: Grid | None,
    at: datetime,
    reason: str,
) -> Case:
    """上报 of a case that another loop drives (channel officer, REPORTED, numbered like any
    case), in the caller's transaction. `unit` handles it (that loop's unit; no routing by the
    grid's unit); no duplicate check (that loop has its own rule)."""
    if category.workflow == Workflow.STANDARD:
        raise ValueError(f"{category.code} runs the standard loop")  # a caller's bug
    case = Case.objects.create(
        number=_next_number(district, at),
        category=category,
        district=district,
        channel=Channel.OFFICER,
        reported_by=actor if actor is not None and actor.is_authenticated else None,
        place=place,
        lat=lat,
        lon=lon,
        grid=grid,
        unit=unit,
        photo=photo,
        created_at=at,
    )
    where = f"网格 {grid.code}（{grid.name}）" if grid is not None else ""
    CaseTransition.objects.create(
        case=case,
        at=at,
        action="report",
        to_status=Status.REPORTED,
        actor=case.reported_by,
        actor_name=actor_name(actor),
        reason="，".join(part for part in (reason, where) if part)[:200],
    )
    return case


def follow(
    case_id: int,
    status: Status,
    *,
    action: str,
    actor: Actor,
    reason: str = "",
    due_at: datetime | None = None,
    duplicate_of_id: int | None = None,
) -> Case:
    """Move a followed case to `status` (one of `FOLLOWABLE`) because its own loop moved, and
    write its timeline row (`action`: that loop's action; the status may stay the same). No
    step clocks; `due_at` sets the handling due time (应结案) when that loop has one. Leaving
    REPORTED for a handled status also writes the `register` (立案) row. Joins the caller's
    transaction."""
    if status not in FOLLOWABLE:
        raise ValueError(f"a followed case cannot be {status}")  # a mapping's bug
    joined = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if joined else transaction.atomic():
        locked = Case.objects.select_for_update().select_related("category").get(pk=case_id)
        if locked.category.workflow == Workflow.STANDARD:
            raise ValueError(f"{locked.number} runs the standard loop")
        source = Status(locked.status)
        if source in TERMINAL and status != source:
            raise fsm.InvalidTransition(f"案件 {locked.number} 已{source.label}，不能再变更")
        now = timezone.now()
        who = actor if actor is not None and actor.is_authenticated else None
        name = actor_name(actor)
        rows = []
        if source is Status.REPORTED and status in REGISTERED_ON_FOLLOW:
            rows.append(
                CaseTransition(
                    case=locked,
                    at=now,
                    action=Action.REGISTER,
                    from_status=source,
                    to_status=status,
                    actor=who,
                    actor_name=name,
                    reason="现场立案，由上报单位处置",
                )
            )
        rows.append(
            CaseTransition(
                case=locked,
                at=now,
                action=action[:24],
                from_status=status if rows else source,
                to_status=status,
                actor=who,
                actor_name=name,
                reason=reason[:200],
            )
        )
        fields: list[str] = []
        if status != source:
            locked.status = status
            locked.version += 1
            fields += ["status", "version"]
        if source is Status.REPORTED and status in REGISTERED_ON_FOLLOW:
            locked.registered_at = now
            fields.append("registered_at")
        if status == Status.CLOSED and locked.closed_at is None:
            locked.closed_at = now
            fields.append("closed_at")
        if due_at is not None:
            locked.handle_due_at = due_at
            fields.append("handle_due_at")
        if duplicate_of_id is not None:
            locked.duplicate_of_id = duplicate_of_id
            fields.append("duplicate_of")
        if fields:
            locked.save(update_fields=fields)
        CaseTransition.objects.bulk_create(rows)
    return locked


def refuse_followed(case: Case) -> None:
    """422 for a person's action or approval request on a case that another loop drives: it
    moves only with that loop (the parking report's endpoints for 违法停车)."""
    if case.category.workflow == Workflow.PARKING:
        raise ValidationFailed("违法停车案件请在违停上报中办理（短信挪车、复查、贴单）")
    if case.category.workflow != Workflow.STANDARD:
        raise ValidationFailed("该类案件由其专门流程办理，不能在案件中直接操作")
