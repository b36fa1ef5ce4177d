"""API schemas of the parking app."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from smartduty.kernel.fsm import allowed_actions
from smartduty.kernel.isotime import IsoDatetime
from smartduty.notifications.states import DeliveryStatus, ReceiptStatus
from smartduty.parking.selectors import get_owner_sms, may_post_notice_now
from smartduty.parking.states import ALLOWED, SYSTEM_ACTIONS, Action, RecheckOutcome, Status


class OwnerSmsOut(Schema):
    """The owner SMS: sent or not (outbox) and, once the vendor reported, 送达 or 未送达.

    `receipt_reason` is the vendor's own text (untrusted): show it as text, never as HTML.
    """

    status: str = Field(description="发送状态：pending/sending/sent/failed/cancelled")
    status_label: str
    receipt_status: str = Field(description="送达状态：空（未回执）、delivered、undelivered")
    receipt_label: str = Field(description="已送达 / 未送达 / 等待回执 / 空")
    receipt_code: str = Field(description="服务商状态码")
    receipt_reason: str = Field(description="服务商说明（未送达原因），须按纯文本显示")
    receipt_at: datetime | None = Field(description="送达/失败时间（服务商报告）")

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(DeliveryStatus(obj.status).label) if obj.status in DeliveryStatus.values else ""

    @staticmethod
    def resolve_receipt_label(obj: Any) -> str:
        if obj.receipt_status in ReceiptStatus.values:
            return str(ReceiptStatus(obj.receipt_status).label)
        return "等待回执" if obj.status == DeliveryStatus.SENT else ""

    @staticmethod
    def resolve_receipt_reason(obj: Any) -> str:
        return str(obj.receipt_description)


class ReportOut(Schema):
    """A parking report as the officer app and the command centre see it."""

    public_id: UUID
    version: int
    status: str
    status_label: str
    case_number: str | None = Field(description="案件编号（案件核心中的违法停车案件）")
    plate: str
    plate_read: str
    plate_confidence: float | None
    is_plate_edited: bool
    place: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    district_id: UUID
    district: str
    unit: str
    reported_by: str
    reported_by_badge: str
    created_at: datetime
    captured_at: datetime | None
    owner_notified_at: datetime | None
    deadline_at: datetime | None
    seconds_left: int | None = Field(description="距挪车截止的秒数（仅待挪车时）")
    moved_at: datetime | None
    recheck_at: datetime | None
    recheck_outcome: str
    recheck_distance_m: float | None
    recheck_warnings: list[str]
    notice_number: str | None
    notice_posted_at: datetime | None
    closed_at: datetime | None
    void_reason: str
    duplicate_of: UUID | None
    photo_url: str
    allowed_actions: list[str]
    owner_sms: OwnerSmsOut | None = Field(description="挪车短信的发送与送达状态（无短信时为空）")

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(Status(obj.status).label)

    @staticmethod
    def resolve_case_number(obj: Any) -> str | None:
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_district_id(obj: Any) -> UUID:
        return obj.district.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_district(obj: Any) -> str:
        return str(obj.district.name)

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return str(obj.unit.name)

    @staticmethod
    def resolve_reported_by(obj: Any) -> str:
        return str(obj.reported_by.name)

    @staticmethod
    def resolve_reported_by_badge(obj: Any) -> str:
        return str(obj.reported_by.badge_number)

    @staticmethod
    def resolve_seconds_left(obj: Any) -> int | None:
        if obj.status != Status.AWAITING_MOVE or obj.deadline_at is None:
            return None
        return max(0, int((obj.deadline_at - timezone.now()).total_seconds()))

    @staticmethod
    def resolve_notice_number(obj: Any) -> str | None:
        notice = getattr(obj, "notice", None) if hasattr(obj, "notice") else None
        return notice.number if notice is not None else None

    @staticmethod
    def resolve_duplicate_of(obj: Any) -> UUID | None:
        return obj.duplicate_of.public_id if obj.duplicate_of_id else None

    @staticmethod
    def resolve_photo_url(obj: Any) -> str:
        return f"/api/v1/photos/{obj.photo.public_id}/display"

    @staticmethod
    def resolve_owner_sms(obj: Any) -> Any:
        return get_owner_sms(report=obj)

    @staticmethod
    def resolve_allowed_actions(obj: Any) -> list[str]:
        actions = [
            str(a) for a in allowed_actions(ALLOWED, obj.status) if Action(a) not in SYSTEM_ACTIONS
        ]
        if Action.POST_NOTICE in actions and not may_post_notice_now(obj):
            actions.remove(Action.POST_NOTICE)  # the window runs and the SMS was not refused
        return actions


class ReportFilter(Schema):
    """Query parameters of the report list."""

    status: str | None = None
    mine: bool = Field(default=False, description="只看我上报的")
    limit: int = Field(default=50, ge=1, le=200)


class PlateIn(Schema):
    """The plate as the officer confirms or corrects it, and optionally the place name."""

    plate: str = Field(min_length=2, max_length=16)
    version: int | None = None
    place: str | None = Field(default=None, max_length=60, description="修正后的地点名称")


class TransitionIn(Schema):
    """A requested status change (confirm_moved, void)."""

    action: Action
    version: int | None = None
    reason: str = Field(default="", max_length=200)


class NoticeIn(Schema):
    """Issue a notice directly (owner unknown)."""

    version: int | None = None


class TransitionOut(Schema):
    """One step of a report's timeline."""

    at: datetime
    action: str
    from_status: str
    to_status: str
    to_status_label: str
    actor: str
    reason: str

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_name)

    @staticmethod
    def resolve_to_status_label(obj: Any) -> str:
        return str(Status(obj.to_status).label)


class ReportCreateIn(Schema):
    """Form fields sent with the scene photo."""

    district_id: UUID | None = Field(default=None, description="默认为上报人员所属辖区")
    plate: str = Field(default="", max_length=16, description="已确认的车牌（填写则立即通知车主）")
    plate_read: str = Field(default="", max_length=16, description="识别结果（供比对是否人工修改）")
    plate_confidence: float | None = Field(default=None, ge=0, le=1)
    place: str = Field(default="", max_length=60)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)
    captured_at: IsoDatetime | None = Field(
        default=None, description="拍摄时间（离线上报时由手机记录，不早于 24 小时）"
    )


class RecheckIn(Schema):
    """Form fields sent with the re-check photo."""

    outcome: RecheckOutcome = Field(description="gone（已驶离）或 still_there（仍在原处）")
    plate_read: str = Field(default="", max_length=16)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)
    version: int | None = None


class ClosePhotoIn(Schema):
    """Form fields sent with the photo of the posted notice."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)
    version: int | None = None
