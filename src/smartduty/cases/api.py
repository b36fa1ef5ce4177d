"""Case endpoints: categories, report, the 7-step actions, the approval ledger, the timeline.

No `from __future__ import annotations` here: `@paginate` builds its query schema from the
handler's annotations at import time, and `Query[...]` must be a real object then.
"""

import json
from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from smartduty.cases import selectors, services
from smartduty.cases.models import Case, CaseApproval, CaseTransition, Category, Channel
from smartduty.cases.schemas import (
    ApprovalFilter,
    ApprovalIn,
    ApprovalOut,
    CaseActionIn,
    CaseCreateIn,
    CaseFilter,
    CaseOut,
    CategoryOut,
    DecisionIn,
    NearbyFilter,
    NearbyOut,
    TimelineOut,
)
from smartduty.cases.states import Action
from smartduty.evidence.services import store_photo
from smartduty.evidence.states import PhotoKind
from smartduty.kernel.errors import NotFound, ValidationFailed
from smartduty.kernel.pagination import BoundedLimitOffsetPagination, CappedCountPagination
from smartduty.org.auth import officer_of, principal_of
from smartduty.org.selectors import get_district, get_unit

router = Router(tags=["cases"])
# the actions that take a photo, and what it documents
_PHOTO_ACTIONS = {
    Action.HANDLE: PhotoKind.OTHER,
    Action.VERIFY_PASS: PhotoKind.RECHECK,
    Action.VERIFY_FAIL: PhotoKind.RECHECK,
}


@router.get("/case-categories", response=list[CategoryOut])
def list_categories(request: HttpRequest) -> list[Category]:
    """The 小类 a case can be reported under, in tile order (违法停车 first)."""
    principal_of(request)
    return list(selectors.list_categories().exclude(parent=None))


def _form_data(text: str) -> dict[str, object]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        raise ValidationFailed("表单内容须为 JSON 对象") from None
    if not isinstance(data, dict):
        raise ValidationFailed("表单内容须为 JSON 对象")
    return data


@router.post("/cases", response={200: CaseOut, 201: CaseOut})
def create_case(
    request: HttpRequest, form: Form[CaseCreateIn], file: File[UploadedFile | None] = None
) -> Status[Case]:
    """上报 a case (photo optional, as the category asks). The same `idempotency_key` twice
    returns the first case (200)."""
    principal = principal_of(request)
    officer = officer_of(request)
    category = selectors.get_category(code=form.category_code)
    if form.district_id is not None:
        district = get_district(principal=principal, public_id=form.district_id)
    elif officer is not None:
        district = officer.unit.district
    else:
        raise ValidationFailed("请指定辖区")
    if form.idempotency_key:
        existing = Case.objects.filter(idempotency_key=form.idempotency_key).first()
        if existing is not None:
            first = selectors.get_case(principal=principal, public_id=existing.public_id)
            return Status(200, first)
    data = _form_data(form.form_data)
    # every refusal before the upload is stored
    services.check_may_report(
        principal=principal,
        category=category,
        district=district,
        description=form.description,
        place=form.place,
        form_data=data,
    )
    photo = (
        store_photo(
            principal=principal,
            officer=officer,
            district=district,
            data=file,
            filename=file.name or "photo",
            client_lat=form.lat,
            client_lon=form.lon,
            place=form.place,
            kind=PhotoKind.SCENE,
        )
        if file is not None
        else None
    )
    case = services.report_case(
        principal=principal,
        actor=request.user,
        category=category,
        district=district,
        channel=Channel.OFFICER if officer is not None else Channel.COMMAND,
        description=form.description,
        place=form.place,
        lat=form.lat,
        lon=form.lon,
        form_data=data,
        idempotency_key=form.idempotency_key,
        photo=photo,
        not_duplicate=form.not_duplicate,
    )
    return Status(201, selectors.get_case(principal=principal, public_id=case.public_id))


@router.get("/cases", response=list[CaseOut])
@paginate(CappedCountPagination)
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> list[Case]:
    """The case board: running clocks first (nearest due time first), then newest; `count`
    is exact up to 10,000 and 10,000 beyond (`kernel.pagination.CappedCountPagination`).
    `district_id` keeps that district and the ones under it (404 outside my subtree);
    `overdue` the open cases whose step is past its due time."""
    principal = principal_of(request)
    unit = get_unit(principal=principal, public_id=filters.unit_id) if filters.unit_id else None
    district = (
        get_district(principal=principal, public_id=filters.district_id)
        if filters.district_id
        else None
    )
    return selectors.list_cases(  # type: ignore[return-value]  # paginate slices the queryset
        principal=principal,
        status=filters.status,
        category_code=filters.category_code,
        unit_id=unit.pk if unit is not None else None,
        reported_by_id=principal.user_id if filters.mine else None,
        open_only=filters.open_only,
        grid_code=filters.grid_code,
        district_path=district.path if district is not None else None,
        overdue_at=timezone.now() if filters.overdue else None,
    )


# before `/cases/{public_id}`: the first pattern that matches the path answers
@router.get("/cases/nearby", response=NearbyOut)
def list_nearby(request: HttpRequest, filters: Query[NearbyFilter]) -> dict[str, object]:
    """已有人上报: open cases of the category within its duplicate radius of the point, of my
    districts, nearest first; the app shows them before sending (a report sent anyway is
    linked to the nearest one, unless `not_duplicate`)."""
    principal = principal_of(request)
    try:
        category = selectors.get_category(code=filters.category_code)
    except NotFound as exc:  # a query value, not a resource of the path: invalid input
        raise ValidationFailed(exc.message) from None
    found = selectors.list_nearby_open_cases(
        principal=principal, category=category, lat=filters.lat, lon=filters.lon
    )
    return {
        "category_code": category.code,
        "radius_m": category.duplicate_radius_m,
        "items": found,
    }


@router.get("/cases/{public_id}", response=CaseOut)
def get_case(request: HttpRequest, public_id: UUID) -> Case:
    """One case."""
    return selectors.get_case(principal=principal_of(request), public_id=public_id)


@router.post("/cases/{public_id}/transitions", response=CaseOut)
def create_transition(
    request: HttpRequest,
    public_id: UUID,
    form: Form[CaseActionIn],
    file: File[UploadedFile | None] = None,
) -> Case:
    """One step of the loop. 处置 (`handle`) takes the after-photo, 核查 (`verify_pass` /
    `verify_fail`) a photo of the place; `dispatch` needs `unit_id`; `evaluate` a `rating`."""
    principal = principal_of(request)
    case = selectors.get_case(principal=principal, public_id=public_id)
    action = Action(form.action)
    services.check_may_act(case, action, principal=principal, actor=request.user)
    unit = get_unit(principal=principal, public_id=form.unit_id) if form.unit_id else None
    duplicate_of = (
        selectors.get_case(principal=principal, public_id=form.duplicate_of)
        if form.duplicate_of
        else None
    )
    photo_id = None
    if file is not None and action in _PHOTO_ACTIONS:
        photo_id = store_photo(
            principal=principal,
            officer=officer_of(request),
            district=case.district,
            data=file,
            filename=file.name or "photo",
            kind=_PHOTO_ACTIONS[action],
        ).pk
    services.act(
        case,
        action,
        principal=principal,
        actor=request.user,
        reason=form.reason,
        expected_version=form.version,
        unit=unit,
        after_photo_id=photo_id if action is Action.HANDLE else None,
        verify_photo_id=photo_id if action is not Action.HANDLE else None,
        note=form.note,
        rating=form.rating,
        duplicate_of=duplicate_of,
    )
    return selectors.get_case(principal=principal, public_id=public_id)


@router.get("/cases/{public_id}/timeline", response=list[TimelineOut])
def get_timeline(request: HttpRequest, public_id: UUID) -> list[CaseTransition]:
    """Every step, warning and overdue mark of a case, oldest first."""
    case = selectors.get_case(principal=principal_of(request), public_id=public_id)
    return list(case.transitions.all())


@router.post("/cases/{public_id}/approvals", response={201: ApprovalOut})
def request_approval(
    request: HttpRequest, public_id: UUID, payload: ApprovalIn
) -> Status[CaseApproval]:
    """Ask for 回退, 延期 (`extra_hours`), 缓办 or 作废; one open request per case."""
    principal = principal_of(request)
    case = selectors.get_case(principal=principal, public_id=public_id)
    approval = services.request_approval(
        case,
        Action(payload.action),
        principal=principal,
        actor=request.user,
        reason=payload.reason,
        extra_hours=(
            Decimal(str(round(payload.extra_hours, 2))) if payload.extra_hours is not None else None
        ),
    )
    return Status(201, selectors.get_approval(principal=principal, public_id=approval.public_id))


@router.get("/case-approvals", response=list[ApprovalOut])
@paginate(BoundedLimitOffsetPagination)
def list_approvals(request: HttpRequest, filters: Query[ApprovalFilter]) -> list[CaseApproval]:
    """The approval ledger of my subtree (`pending=false`: decided ones too), newest first."""
    principal = principal_of(request)
    return selectors.list_approvals(  # type: ignore[return-value]  # paginate slices it
        principal=principal, pending_only=filters.pending
    )


@router.post("/case-approvals/{public_id}/decision", response=ApprovalOut)
def decide_approval(request: HttpRequest, public_id: UUID, payload: DecisionIn) -> CaseApproval:
    """Approve (the action is carried out) or reject; the approver's role must be allowed."""
    principal = principal_of(request)
    approval = selectors.get_approval(principal=principal, public_id=public_id)
    services.decide_approval(
        approval,
        principal=principal,
        actor=request.user,
        approve=payload.approve,
        note=payload.note,
    )
    return selectors.get_approval(principal=principal, public_id=public_id)
