"""API schemas of the vehicles app. No schema carries a plain phone or owner name except
`PhoneRevealOut`, the answer of the audited reveal."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


def mask_name(name: str) -> str:
    """`张三` → `张**`: the first character and two stars, whatever the length (like
    `138****0000`, the mask does not give the length away); one character → `*`."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "**"


class VehicleOut(Schema):
    """A registered vehicle as officers see it: the owner's name and phone only masked."""

    public_id: UUID
    plate: str
    plate_kind: str
    plate_kind_label: str
    plate_color: str
    plate_color_label: str
    owner_name_masked: str = Field(description="脱敏后的车主姓名，如 张**")
    owner_phone_masked: str = Field(description="脱敏后的车主电话，如 138****0000")
    district_id: UUID
    district_name: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_owner_name_masked(obj: object) -> str:
        return mask_name(str(obj.owner_name))  # type: ignore[attr-defined]

    @staticmethod
    def resolve_plate_kind_label(obj: object) -> str:
        return str(obj.get_plate_kind_display())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_plate_color_label(obj: object) -> str:
        return str(obj.get_plate_color_display())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_district_id(obj: object) -> UUID:
        return obj.district.public_id  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_district_name(obj: object) -> str:
        return str(obj.district.name)  # type: ignore[attr-defined]


class PhoneRevealIn(Schema):
    """Why the officer needs the full number; recorded in the audit log."""

    reason: str = Field(max_length=200, description="查看原因（至少 4 个字，记入审计日志）")


class PhoneRevealOut(Schema):
    """The owner's full phone number and name, shown once (the reveal is audited)."""

    phone: str
    owner_name: str
    revealed_at: datetime


class PlateValidateIn(Schema):
    """A plate as typed or recognised (full-width, lower-case, spaces and dots are fine)."""

    plate: str = Field(max_length=32)


class PlateValidateOut(Schema):
    """Whether a plate is valid under GA 36-2018, and what to suggest if not."""

    valid: bool
    normalized: str
    kind: str | None
    kind_label: str | None
    color: str | None = Field(description="该种类号牌的默认颜色")
    color_label: str | None
    message: str = Field(description="无效时的原因（中文），有效时为空")
    suggestions: list[str] = Field(description="把序号中的 O/I 读作 0/1 后有效的车牌，需人工确认")
