"""Fixtures for the outbox tests: recording senders registered as provider `recording`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartduty.notifications.ports import Channel
from smartduty.notifications.providers.recording import RecordingSender
from tests.factories.notifications import recording_senders


@pytest.fixture
def recorders() -> Iterator[dict[Channel, RecordingSender]]:
    """One recorder per channel."""
    with recording_senders() as registered:
        yield registered


@pytest.fixture
def sms(recorders: dict[Channel, RecordingSender]) -> RecordingSender:
    """The SMS recorder."""
    return recorders[Channel.SMS]
