"""The console provider: the demo's SMS gateway.

It "sends" by logging the message with a masked address and storing it in `ConsoleMessage`
(shown in the admin as 控制台短信). The unique idempotency key makes it accept each delivery at
most once: a resend with a known key returns the earlier receipt and stores nothing, which
keeps delivery exactly-once even if the worker dies between send and record.

The store is a table of this app, so this adapter imports `notifications.models`: a named
exception (pyproject.toml, the providers contract) to "a provider imports only its port, the
kernel and third parties"; vendor adapters import only `ports`, `kernel` and httpx.
"""

from __future__ import annotations

import logging
import uuid
from typing import ClassVar

from django.db import DatabaseError

from smartduty.notifications.models import ConsoleMessage
from smartduty.notifications.ports import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    Receipt,
    RetryableSendError,
    mask_address,
    sms_segments,
)

logger = logging.getLogger(__name__)


class ConsoleSender:
    """Console adapter for SMS; subclasses cover the other channels."""

    channel: ClassVar[Channel] = Channel.SMS
    stores_in_database: ClassVar[bool] = True
    """Sent inside the outbox's recording transaction (`ports.stores_in_database`)."""

    def send(self, msg: OutboundMessage) -> Receipt:
        """Store and log the message once per idempotency key."""
        if not msg.address.strip():
            raise PermanentSendError("收件地址为空")
        masked = mask_address(self.channel, msg.address)
        try:
            stored, created = ConsoleMessage.objects.get_or_create(
                idempotency_key=msg.idempotency_key,
                defaults={
                    "provider_message_id": f"console-{uuid.uuid4().hex[:16]}",
                    "channel": self.channel,
                    "recipient_masked": masked,
                    "template_code": msg.template_code,
                    "params": dict(msg.params),
                    "text": msg.rendered_text,
                    "segments": sms_segments(msg.rendered_text),
                },
            )
        except DatabaseError as exc:
            raise RetryableSendError(f"控制台消息存储失败：{exc}") from exc
        if created:
            logger.info(
                "控制台%s → %s（%s 条）：%s",
                self.channel.label,
                masked,
                stored.segments,
                msg.rendered_text,
            )
        return Receipt(
            provider_message_id=stored.provider_message_id,
            accepted_at=stored.created_at,
            duplicate=not created,
        )


class ConsoleAppPushSender(ConsoleSender):
    """Console adapter for officer-app notifications."""

    channel: ClassVar[Channel] = Channel.APP_PUSH


class ConsoleGroupWebhookSender(ConsoleSender):
    """Console adapter for group-bot messages (WeCom/DingTalk)."""

    channel: ClassVar[Channel] = Channel.GROUP_WEBHOOK


SMS = ConsoleSender()
APP_PUSH = ConsoleAppPushSender()
GROUP_WEBHOOK = ConsoleGroupWebhookSender()
ALL = (SMS, APP_PUSH, GROUP_WEBHOOK)
