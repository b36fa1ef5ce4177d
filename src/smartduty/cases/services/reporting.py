"""上报: a case reported by an officer (`report_case`) or by the public through a partner
system (`report_public_case`, the Open311 channel).

`report_case` opens a case in the reporter's scope, numbered per district and day. It finds
the grid that holds the case's point (`grids.selectors.locate`) and routes the case to the
grid's unit for the category's agency kind (`Case.unit`, the default of 派遣). An open case of
the same category within the category's duplicate radius makes the new report a linked
duplicate (重复上报, `duplicate_of`, a timeline row on the original) rather than a second open
case, unless the reporter says it is a different problem.
"""

from __future__ import annotations

from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from smartduty.cases import selectors
from smartduty.cases.models import Case, CaseTransition, Category, Channel, Workflow
from smartduty.cases.services.common import clean_text, grid_of, next_number, timeline
from smartduty.cases.services.transitions import transition
from smartduty.cases.states import Action, Status
from smartduty.evidence.models import Photo
from smartduty.grids import selectors as grids
from smartduty.grids.models import Grid
from smartduty.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District, Unit
from smartduty.org.selectors import Actor, actor_name


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
    return clean_text(label, str(value), 200)


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
        clean_text("问题描述", description, 500),
        clean_text("地点", place, 60),
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
    grid = grid_of(district, point)
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
            number=next_number(district, now),
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
    timeline(original, "duplicate_reported", f"收到重复上报 {case.number}，已关联")
    return linked


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
