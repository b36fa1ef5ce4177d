"""`manage.py queue_status` prints the durable queues' figures and fails on late work."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import timers

pytestmark = pytest.mark.django_db


def _status(*args: str) -> str:
    out = StringIO()
    call_command("queue_status", *args, stdout=out)
    return out.getvalue()


def test_the_figures_follow_the_rows() -> None:
    before = json.loads(_status("--json"))
    assert {"kernel.timers", "notifications.outbox"} <= set(before)
    with transaction.atomic():
        timers.schedule(
            kind=timers.HEARTBEAT_KIND,
            subject_type="test",
            subject_id="1",
            due_at=timezone.now() - timedelta(minutes=5),
        )
    after = json.loads(_status("--json"))["kernel.timers"]
    assert after["pending"] == before["kernel.timers"]["pending"] + 1
    assert after["due"] >= 1
    assert after["oldest_due_s"] >= 299
    table = _status()
    assert "队列 queue" in table
    assert "kernel.timers" in table


def test_late_work_fails_the_command_with_a_chinese_message() -> None:
    _status("--fail-late", "60")  # nothing due: passes
    with transaction.atomic():
        timers.schedule(
            kind=timers.HEARTBEAT_KIND,
            subject_type="test",
            subject_id="2",
            due_at=timezone.now() - timedelta(minutes=5),
        )
    with pytest.raises(CommandError, match="worker 是否在运行"):
        _status("--fail-late", "60")
