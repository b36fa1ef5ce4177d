"""API schemas of the case core."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from smartduty.cases.states import ALLOWED, Status
from smartduty.kernel.fsm import allowed_actions

CaseActionName = Literal[
    "register",
    "reject",
    "mark_duplicate",
    "dispatch",
    "handle",
    "verify_pass",
    "verify_fail",
    "resume",
    "evaluate",
]
"""Actions a person takes directly (the others go through an approval)."""
ApprovalActionName = Literal["send_back", "extend", "defer", "void"]
StatusName = Literal[
    "reported",
    "registered",
    "dispatched",
    "handled",
    "deferred",
    "closed",
    "evaluated",
    "not_a_case",
    "duplicate",
    "voided",
]


class FormFieldOut(Schema):
    name: str
    label: str
    type: Literal["text", "number", "choice", "boolean"]
    required: bool = False
    choices: list[str] = []


class CategoryOut(Schema):
    """A 小类 as the apps show it (a tile, the form it asks, its handling limit)."""

    public_id: UUID
    code: str
    name: str
    parent_code: str
    parent_name: str
    kind: str
    agency_kind: str
    workflow: Literal["standard", "parking"]
    handle_limit: float
    handle_unit: Literal["work_hours", "work_days", "clock_hours"]
    after_photo_required: bool
    verified_by: Literal["reporter", "supervisor"]
    form_fields: list[FormFieldOut]

    @staticmethod
    def resolve_parent_code(obj: Any) -> str:
        return str(obj.parent.code) if obj.parent_id else ""

    @staticmethod
    def resolve_parent_name(obj: Any) -> str:
        return str(obj.parent.name) if obj.parent_id else ""

    @staticmethod
    def resolve_handle_limit(obj: Any) -> float:
        return float(obj.handle_limit)


class CaseCreateIn(Schema):
    """Form fields sent with the photo of a new case."""

    category_code: str = Field(pattern=r"^[A-Z][0-9]{4}$", description="小类编码，如 E0401")
    district_id: UUID | None = Field(default=None, description="默认为本人所在单位的辖区")
    description: str = Field(default="", max_length=500)
    place: str = Field(default="", max_length=60)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    form_data: str = Field(
        default="{}",
        max_length=4000,
        description='类别表单的填写内容（JSON 对象，如 {"stall_count": 2}）',
    )
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)
    not_duplicate: bool = Field(
        default=False,
        description="上报人已看过附近同类案件，确认不是同一问题（否则在半径内的同类未结案件会把本次上报关联为重复上报）",
    )


class NearbyFilter(Schema):
    """A point and a category: the open cases a report there would duplicate."""

    category_code: str = Field(pattern=r"^[A-Z][0-9]{4}$", description="小类编码，如 E0401")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class NearbyCaseOut(Schema):
    """An open case near the point (已有人上报)."""

    public_id: UUID
    number: str
    status: StatusName
    status_label: str
    category_name: str
    place: str
    description: str
    created_at: datetime
    distance_m: int
    photo_url: str | None

    @staticmethod
    def resolve_public_id(obj: Any) -> UUID:
        return obj.case.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_number(obj: Any) -> str:
        return str(obj.case.number)

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.case.status)

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(Status(obj.case.status).label)

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return str(obj.case.category.name)

    @staticmethod
    def resolve_place(obj: Any) -> str:
        return str(obj.case.place)

    @staticmethod
    def resolve_description(obj: Any) -> str:
        return str(obj.case.description)

    @staticmethod
    def resolve_created_at(obj: Any) -> datetime:
        return obj.case.created_at  # type: ignore[no-any-return]

    @staticmethod
    def resolve_distance_m(obj: Any) -> int:
        return round(float(obj.distance_m))

    @staticmethod
    def resolve_photo_url(obj: Any) -> str | None:
        photo_id = obj.case.photo_id
        return f"/api/v1/photos/{obj.case.photo.public_id}/display" if photo_id else None


class NearbyOut(Schema):
    category_code: str
    radius_m: int = Field(description="该类别的重复判定半径（米）")
    items: list[NearbyCaseOut] = Field(description="半径内的同类未结案件，由近及远")


class CaseActionIn(Schema):
    """Form fields of one action (the photo goes with handle and verify)."""

    action: CaseActionName
    reason: str = Field(default="", max_length=200)
    unit_id: UUID | None = Field(
        default=None, description="派遣时的处置单位（不填则派往网格的责任单位）"
    )
    note: str = Field(default="", max_length=500, description="处置说明")
    rating: int | None = Field(default=None, ge=1, le=5, description="评价 1-5 分")
    duplicate_of: UUID | None = Field(default=None, description="重复于哪个案件")
    version: int | None = Field(default=None, ge=1, le=1_000_000, description="乐观锁版本号")


class ApprovalIn(Schema):
    action: ApprovalActionName
    reason: str = Field(min_length=4, max_length=200)
    extra_hours: float | None = Field(
        default=None, gt=0, le=2000, description="延期工作小时（保留两位小数）"
    )


class ApprovalFilter(Schema):
    pending: bool = Field(default=True, description="只看待审批的（false：含已审批）")


class DecisionIn(Schema):
    approve: bool
    note: str = Field(default="", max_length=200)


class ApprovalOut(Schema):
    public_id: UUID
    case_id: UUID
    case_number: str
    action: ApprovalActionName
    action_label: str
    reason: str
    extra_hours: float | None
    requested_by: str
    requested_at: datetime
    status: Literal["pending", "approved", "rejected"]
    decided_by: str
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_case_id(obj: Any) -> UUID:
        return obj.case.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_case_number(obj: Any) -> str:
        return str(obj.case.number)

    @staticmethod
    def resolve_action_label(obj: Any) -> str:
        return str(obj.get_action_display())

    @staticmethod
    def resolve_extra_hours(obj: Any) -> float | None:
        return float(obj.extra_hours) if obj.extra_hours is not None else None

    @staticmethod
    def resolve_requested_by(obj: Any) -> str:
        return str(obj.requested_by.get_username())

    @staticmethod
    def resolve_decided_by(obj: Any) -> str:
        return str(obj.decided_by.get_username()) if obj.decided_by_id else ""


class CaseOut(Schema):
    public_id: UUID
    number: str
    version: int
    status: StatusName
    status_label: str
    category_code: str
    category_name: str
    district_id: UUID
    district: str
    unit_id: UUID | None
    unit: str
    grid_code: str
    grid_name: str
    duplicate_of_id: UUID | None
    duplicate_of_number: str
    channel: Literal["officer", "command", "public"]
    description: str
    place: str
    lat: float | None
    lon: float | None
    form_data: dict[str, Any]
    created_at: datetime
    closed_at: datetime | None
    step: Literal["", "dispatch", "handle", "verify"]
    step_started_at: datetime | None = Field(description="当前环节计时开始（预警按时限的 80 %）")
    step_due_at: datetime | None
    handle_due_at: datetime | None
    on_time: bool
    overdue_steps: list[str]
    rework_count: int
    extension_count: int
    rating: int | None
    photo_url: str | None
    after_photo_url: str | None
    verify_photo_url: str | None
    handling_note: str
    reported_by_me: bool = Field(description="调用者本人上报的案件")
    allowed_actions: list[str]

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(Status(obj.status).label)

    @staticmethod
    def resolve_category_code(obj: Any) -> str:
        return str(obj.category.code)

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return str(obj.category.name)

    @staticmethod
    def resolve_district_id(obj: Any) -> UUID:
        return obj.district.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_district(obj: Any) -> str:
        return str(obj.district.name)

    @staticmethod
    def resolve_unit_id(obj: Any) -> UUID | None:
        return obj.unit.public_id if obj.unit_id else None

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return str(obj.unit.name) if obj.unit_id else ""

    @staticmethod
    def resolve_grid_code(obj: Any) -> str:
        return str(obj.grid.code) if obj.grid_id else ""

    @staticmethod
    def resolve_grid_name(obj: Any) -> str:
        return str(obj.grid.name) if obj.grid_id else ""

    @staticmethod
    def resolve_duplicate_of_id(obj: Any) -> UUID | None:
        return obj.duplicate_of.public_id if obj.duplicate_of_id else None

    @staticmethod
    def resolve_duplicate_of_number(obj: Any) -> str:
        return str(obj.duplicate_of.number) if obj.duplicate_of_id else ""

    @staticmethod
    def resolve_photo_url(obj: Any) -> str | None:
        return f"/api/v1/photos/{obj.photo.public_id}/display" if obj.photo_id else None

    @staticmethod
    def resolve_after_photo_url(obj: Any) -> str | None:
        if not obj.after_photo_id:
            return None
        return f"/api/v1/photos/{obj.after_photo.public_id}/display"

    @staticmethod
    def resolve_verify_photo_url(obj: Any) -> str | None:
        if not obj.verify_photo_id:
            return None
        return f"/api/v1/photos/{obj.verify_photo.public_id}/display"

    @staticmethod
    def resolve_reported_by_me(obj: Any, context: Any) -> bool:
        request = context.get("request") if context else None
        user_id = getattr(getattr(request, "user", None), "pk", None)
        return user_id is not None and obj.reported_by_id == user_id

    @staticmethod
    def resolve_allowed_actions(obj: Any) -> list[str]:
        return [str(a) for a in allowed_actions(ALLOWED, obj.status)]


class CaseFilter(Schema):
    status: StatusName | None = None
    category_code: str | None = Field(default=None, pattern=r"^[A-Z][0-9]{2}([0-9]{2})?$")
    unit_id: UUID | None = None
    mine: bool = Field(default=False, description="只看我上报的")
    open_only: bool = Field(default=False, description="只看未结案件")
    grid_code: str | None = Field(default=None, pattern=r"^[0-9]{15}$", description="单元网格编码")
    district_id: UUID | None = Field(default=None, description="辖区（含下级辖区）")
    overdue: bool = Field(default=False, description="只看当前环节已超时的未结案件")


class TimelineOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    actor_name: str
    reason: str
