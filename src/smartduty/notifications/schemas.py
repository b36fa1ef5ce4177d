"""API schemas of the notifications app."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from smartduty.kernel.isotime import IsoDatetime


class AppNotificationFilter(Schema):
    """Query parameters of the officer's app inbox."""

    since: IsoDatetime | None = Field(default=None, description="只返回此时间之后的通知（轮询用）")
    limit: int = Field(default=30, ge=1, le=100)


class AppNotificationOut(Schema):
    """A push to the officer app (e.g. 违停待复查), newest first."""

    public_id: UUID
    title: str
    body: str
    text: str = Field(alias="rendered_text")
    status: str
    created_at: datetime

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.params.get("title", ""))

    @staticmethod
    def resolve_body(obj: Any) -> str:
        """The `body` parameter; for a template without one (`SD_APP_002`), the rendered
        text after its `title：` (and a signature), so the app's `title：body` reads whole."""
        if "body" in obj.params:
            return str(obj.params["body"])
        text = str(obj.rendered_text)
        if obj.signature:
            text = text.removeprefix(f"【{obj.signature}】")
        return text.removeprefix(f"{obj.params.get('title', '')}：")
