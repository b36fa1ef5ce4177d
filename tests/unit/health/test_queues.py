"""The worker's queues in the health report and the database check (W030)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.checks import run_checks
from django.db import DatabaseError, transaction
from django.utils import timezone

from smartduty.kernel import health, queue, timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.notifications.models import Delivery
from smartduty.notifications.states import DeliveryStatus
from tests.factories.notifications import make_sms

pytestmark = pytest.mark.django_db


def _timer(seconds_ago: float, **fields: Any) -> Timer:
    timers.register_builtins()
    with transaction.atomic():
        timer = timers.schedule_heartbeat(delay=timedelta(seconds=-seconds_ago))
    Timer.objects.filter(pk=timer.pk).update(**fields)
    return timer


def test_the_report_has_every_queue_as_json() -> None:
    _timer(120)
    _timer(0, status=TimerStatus.FAILED)
    sms = make_sms(provider="console")
    Delivery.objects.filter(pk=sms.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, lease_until=timezone.now() + timedelta(hours=1)
    )
    report = json.loads(json.dumps(health.queue_report()))
    assert set(report) >= {timers.TIMER_PUMP, "notifications.outbox"}
    timer_figures = report[timers.TIMER_PUMP]
    assert (timer_figures["pending"], timer_figures["due"], timer_figures["failed"]) == (1, 1, 1)
    assert timer_figures["leased"] is None
    assert 119 < timer_figures["oldest_due_s"] < 180
    assert report["notifications.outbox"] == {
        "pending": 0,
        "due": 0,
        "leased": 1,
        "expired": 0,
        "failed": 0,
        "oldest_due_s": 0.0,
    }


def test_late_work_warns_only_in_the_database_check() -> None:
    _timer(health.QUEUE_LATE_S - 10)
    assert health.check_queues(databases=["default"]) == []
    _timer(health.QUEUE_LATE_S + 30)
    [warning] = health.check_queues(databases=["default"])
    assert warning.id == "smartduty.W030"
    assert "队列 kernel.timers 有 2 项到期未处理" in warning.msg
    assert "run_worker" in (warning.hint or "")
    assert health.check_queues() == []  # without a database: nothing is read
    ids = [m.id for m in run_checks()]  # plain `manage.py check`: no database checks
    assert "smartduty.W030" not in ids
    assert "smartduty.W030" in [m.id for m in run_checks(databases=["default"])]


def test_the_check_keeps_quiet_before_the_tables_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*args: Any, **kwargs: Any) -> list[queue.QueueMetrics]:
        raise DatabaseError("no such table: kernel_timer")

    monkeypatch.setattr(health, "queue_metrics", missing)
    assert health.check_queues(databases=["default"]) == []
