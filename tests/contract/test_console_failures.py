"""Adapter-specific failure paths that the shared contract cannot provoke."""

from __future__ import annotations

import uuid

import pytest
from django.db import OperationalError

from smartduty.notifications.models import ConsoleMessage
from smartduty.notifications.ports import OutboundMessage, RetryableSendError
from smartduty.notifications.providers import console

pytestmark = pytest.mark.django_db


def test_console_turns_a_database_error_into_a_retryable_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(ConsoleMessage.objects, "get_or_create", locked)
    msg = OutboundMessage(
        address="13800138000",
        template_code="SD_MOVE_001",
        params={},
        signature="示范城管",
        rendered_text="x",
        idempotency_key=str(uuid.uuid4()),
    )
    with pytest.raises(RetryableSendError, match="database is locked"):
        console.SMS.send(msg)
