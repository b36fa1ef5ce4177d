"""Factories for the notifications app: queued deliveries and recording senders."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any
from uuid import UUID

from django.db import transaction

from smartduty.notifications import services
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.notifications.providers import provider_key, senders
from smartduty.notifications.providers.recording import RecordingSender
from smartduty.notifications.templates import APP_NOTICE, MOVE_CAR_SMS

PHONE = "13800138000"
SIGNATURE = "示范城管"
MOVE_PARAMS: Mapping[str, str] = {
    "plate": "京AD12345",
    "time": "09:30",
    "place": "东昌路柳园路口北侧",
    "minutes": "10分钟",
    "link": "sd.example/o/Ab3dE9kQ",
}
_subjects = itertools.count(1)


@contextmanager
def recording_senders() -> Iterator[dict[Channel, RecordingSender]]:
    """Register a fresh `RecordingSender` as provider `recording` for every channel."""
    recorders = {channel: RecordingSender.for_channel(channel) for channel in Channel}
    with ExitStack() as stack:
        for channel, recorder in recorders.items():
            stack.enter_context(
                senders().override(provider_key(channel=channel, name="recording"), recorder)
            )
        yield recorders


def make_sms(
    *,
    address: str = PHONE,
    params: Mapping[str, str] = MOVE_PARAMS,
    provider: str = "recording",
    dedupe_key: str | None = None,
    subject_id: str | None = None,
    **extra: Any,
) -> Delivery:
    """A pending move-car SMS, queued through the service (address encrypted and masked)."""
    with transaction.atomic():
        return services.request(
            channel=Channel.SMS,
            address=address,
            template_code=MOVE_CAR_SMS,
            params=params,
            signature=SIGNATURE,
            subject_type="tests.report",
            subject_id=subject_id or str(next(_subjects)),
            dedupe_key=dedupe_key,
            provider=provider,
            **extra,
        )


def make_app_notice(
    officer_public_id: UUID | str,
    *,
    title: str = "违停待复查",
    body: str = "京AD12345 挪车时限已到",
    provider: str = "recording",
) -> Delivery:
    """A pending officer-app notification."""
    with transaction.atomic():
        return services.request(
            channel=Channel.APP_PUSH,
            address=str(officer_public_id),
            template_code=APP_NOTICE,
            params={"title": title, "body": body},
            signature="",
            subject_type="tests.report",
            subject_id=str(next(_subjects)),
            provider=provider,
        )
