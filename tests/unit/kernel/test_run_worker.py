"""`run_worker --once` and `worker_heartbeat` in-process; the real loop is in tests/worker/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings

from smartduty.kernel import timers
from smartduty.kernel.management.commands import run_worker
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.notifications.models import ConsoleMessage, Delivery
from smartduty.notifications.states import DeliveryStatus
from tests.factories.notifications import make_sms

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the single-instance lock is for SQLite"
)


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path) -> Path:
    with override_settings(VAR_DIR=tmp_path):
        yield tmp_path


def test_once_drains_due_timers_and_deliveries() -> None:
    timers.register_builtins()
    heartbeat = timers.schedule_heartbeat()
    delivery = make_sms(provider="console")
    out = io.StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "kernel.timers=1" in out.getvalue()
    assert "notifications.outbox=1" in out.getvalue()
    assert "tasks=no" in out.getvalue()  # the test settings use the immediate task backend
    heartbeat.refresh_from_db()
    assert heartbeat.status == TimerStatus.DONE
    assert AuditEntry.objects.filter(action=timers.HEARTBEAT_KIND).count() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert ConsoleMessage.objects.count() == 1


def test_once_runs_the_database_task_queue_in_batch_mode_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # db_worker itself runs in tests/worker/ (it closes connections, so not in a test transaction)
    calls: list[tuple[str, dict[str, object]]] = []

    def fake_call_command(name: str, **options: object) -> None:
        calls.append((name, options))

    monkeypatch.setattr(run_worker, "call_command", fake_call_command)
    database_backend = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=database_backend):
        assert run_worker.tasks_backend_is_database()
        out = io.StringIO()
        call_command("run_worker", "--once", "--queue-name", "recognition", stdout=out)
    assert "tasks=yes" in out.getvalue()
    assert calls == [
        (
            "db_worker",
            {
                "batch": True,
                "queue_name": "recognition",
                "interval": 1.0,
                "reload": False,
                "startup_delay": False,
                "verbosity": 1,
            },
        )
    ]


def test_no_tasks_skips_the_task_queue() -> None:
    database_backend = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=database_backend):
        out = io.StringIO()
        call_command("run_worker", "--once", "--no-tasks", stdout=out)
    assert "tasks=no" in out.getvalue()


@sqlite_only
def test_a_second_worker_on_the_same_sqlite_database_is_refused(var_dir: Path) -> None:
    with run_worker.single_instance_lock() as path:
        assert path is not None
        assert path.parent == var_dir
        with pytest.raises(CommandError) as caught:
            call_command("run_worker", "--once", stdout=io.StringIO())
    message = str(caught.value)
    assert "已有另一个 run_worker 进程" in message
    assert "Another run_worker" in message
    # released: a later worker starts
    call_command("run_worker", "--once", stdout=io.StringIO())


def test_no_lock_on_other_databases(monkeypatch: pytest.MonkeyPatch, var_dir: Path) -> None:
    monkeypatch.setattr(type(transaction.get_connection()), "vendor", "postgresql")
    with run_worker.single_instance_lock() as path:
        assert path is None
    assert not list(var_dir.glob("*.lock"))


def test_worker_heartbeat_schedules_and_can_time_out() -> None:
    out = io.StringIO()
    call_command("worker_heartbeat", "--delay", "5", stdout=out)
    timer = Timer.objects.get(kind=timers.HEARTBEAT_KIND)
    assert f"heartbeat timer id={timer.pk}" in out.getvalue()
    with pytest.raises(CommandError, match=r"worker 未在 0\.2 秒内触发心跳定时器"):
        call_command("worker_heartbeat", "--wait", "0.2", stdout=io.StringIO())


def test_worker_heartbeat_reports_a_fired_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    real_get = Timer.objects.get

    def fired_meanwhile(**kwargs: object) -> Timer:
        timers.fire_next_due()  # stands in for the running worker
        return real_get(**kwargs)

    monkeypatch.setattr(Timer.objects, "get", fired_meanwhile)
    out = io.StringIO()
    call_command("worker_heartbeat", "--wait", "5", stdout=out)
    assert "heartbeat fired lateness_ms=" in out.getvalue()
    assert Delivery.objects.count() == 0
