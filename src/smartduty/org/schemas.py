"""API schemas of the org app."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema


class TokenIn(Schema):
    """Username and password exchanged for a bearer token."""

    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    device_name: str = Field(default="officer-app", max_length=60)
    otp: str = Field(
        default="",
        max_length=16,
        description="6-digit TOTP code or a recovery code; required for accounts with two-factor",
    )


class TokenOut(Schema):
    """A freshly issued token. The raw value is shown only this once."""

    token: str
    expires_at: datetime


class ApiTokenOut(Schema):
    """One of my live tokens (never its value)."""

    public_id: UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    is_current: bool


class DistrictOut(Schema):
    """A district node."""

    public_id: UUID
    code: str
    name: str
    level: str
    parent_id: UUID | None

    @staticmethod
    def resolve_parent_id(obj: object) -> UUID | None:
        parent = getattr(obj, "parent", None)
        return parent.public_id if parent is not None else None


class UnitOut(Schema):
    """A 支队/大队/中队."""

    public_id: UUID
    name: str
    level: str
    agency: str
    agency_kind: str
    district_id: UUID

    @staticmethod
    def resolve_agency(obj: object) -> str:
        return str(obj.agency.name)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_agency_kind(obj: object) -> str:
        return str(obj.agency.kind)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_district_id(obj: object) -> UUID:
        return obj.district.public_id  # type: ignore[attr-defined,no-any-return]


class OfficerOut(Schema):
    """An officer as colleagues see them."""

    public_id: UUID
    name: str
    badge_number: str
    unit: str
    unit_id: UUID
    is_active: bool

    @staticmethod
    def resolve_unit(obj: object) -> str:
        return str(obj.unit.name)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_unit_id(obj: object) -> UUID:
        return obj.unit.public_id  # type: ignore[attr-defined,no-any-return]


class MeOut(Schema):
    """The logged-in account."""

    username: str
    name: str
    badge_number: str
    unit: str | None
    unit_id: UUID | None
    agency_kind: Literal["chengguan", "jiaojing", "street", "contractor"] | None = Field(
        description=(
            "本人单位的机构类别（chengguan 城管、jiaojing 交警、"
            "street 街道办事处、contractor 作业单位）"
        )
    )
    district: str | None
    district_id: UUID | None
    roles: list[str]
    permissions: list[str]
