"""In-process checks of the worker's throughput paths (the real processes are in the other
files): timer batches, their time budget and crash semantics, the timer pump's wait until the
next due timer, partial-batch drains, kept connections, pauses for other SQLite writers, the
outbox's idle check and batches, and db_worker's restart after a locked database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from smartduty.kernel import pump, timers
from smartduty.kernel.management.commands import run_worker
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.kernel.queue import Queue
from smartduty.kernel.registry import PUMPS, PumpSpec
from smartduty.notifications import outbox, services
from smartduty.notifications.models import ConsoleMessage, Delivery
from tests.factories.notifications import make_sms

pytestmark = pytest.mark.django_db

KIND = "tests.batch"
T0 = datetime(2030, 3, 2, 9, 30, tzinfo=timezone.get_fixed_timezone(480))


class Crash(BaseException):
    """Stands in for SIGKILL: nothing in the pump catches it."""


@pytest.fixture
def seen() -> Iterator[list[int]]:
    """Register `tests.batch`, whose handler writes an audit row and records the timer id."""
    calls: list[int] = []

    def handler(timer: Timer) -> None:
        AuditEntry.objects.create(action=KIND, object_id=str(timer.pk))
        calls.append(timer.pk)

    with timers.timer_kinds().override(KIND, handler):
        yield calls


def schedule(count: int, due_at: datetime = T0, *, kind: str = KIND) -> list[Timer]:
    with transaction.atomic():
        return [
            timers.schedule(
                kind=kind,
                subject_type="tests.batch",
                subject_id=str(index),
                due_at=due_at + timedelta(milliseconds=index),
            )
            for index in range(count)
        ]


def statuses() -> list[str]:
    return list(Timer.objects.order_by("id").values_list("status", flat=True))


def test_a_batch_fires_every_due_timer_in_one_go_and_logs_a_summary(
    seen: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    scheduled = schedule(timers.LOG_EACH_MAX + 5)
    schedule(1, T0 + timedelta(minutes=1))  # not due yet
    caplog.set_level(logging.INFO, logger="smartduty.kernel.timers")
    handled = timers.fire_due(now=T0 + timedelta(seconds=2))
    assert [t.pk for t in handled] == [t.pk for t in scheduled] == seen
    fired = Timer.objects.filter(status=TimerStatus.DONE)
    assert fired.count() == len(scheduled)
    assert set(fired.values_list("fired_at", flat=True)) == {T0 + timedelta(seconds=2)}
    assert "timers fired count=15 kinds=tests.batch" in caplog.text
    assert "timer fired kind=" not in caplog.text
    assert timers.fire_due(now=T0 + timedelta(seconds=2)) == []


def test_a_batch_stops_at_its_size_and_the_tick_reports_the_count(
    seen: list[int], settings: Any
) -> None:
    schedule(5, timezone.now() - timedelta(seconds=10))
    settings.TIMERS_BATCH_SIZE = 2
    assert timers.tick() == 2
    assert timers.tick() == 2
    assert timers.tick() == 1
    assert timers.tick() == 0
    assert len(seen) == 5


def test_over_its_time_budget_a_batch_commits_and_goes_on_in_a_new_transaction(
    seen: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule(5)
    monkeypatch.setattr(timers, "batch_max_seconds", lambda: 0.0)
    batches: list[int] = []
    real = timers._fire_batch

    def counting(*args: Any, **kwargs: Any) -> tuple[list[Timer], bool]:
        chunk, cut_short = real(*args, **kwargs)
        batches.append(len(chunk))
        return chunk, cut_short

    monkeypatch.setattr(timers, "_fire_batch", counting)
    handled = timers.fire_due(now=T0 + timedelta(seconds=1), limit=3)
    assert len(handled) == 3
    assert batches == [1, 1, 1]  # each transaction took one timer, then the budget was spent
    assert statuses() == ["done"] * 3 + ["pending"] * 2


def test_a_failing_handler_in_a_batch_is_retried_alone(seen: list[int]) -> None:
    scheduled = schedule(3)
    broken = scheduled[1].pk

    def sometimes(timer: Timer) -> None:
        AuditEntry.objects.create(action=KIND, object_id=str(timer.pk))
        if timer.pk == broken:
            raise RuntimeError("owner lookup down")

    with timers.timer_kinds().override(KIND, sometimes):
        assert len(timers.fire_due(now=T0 + timedelta(seconds=1))) == 3
    assert statuses() == ["done", "pending", "done"]
    failed = Timer.objects.get(pk=broken)
    assert (failed.attempts, failed.fired_at) == (1, None)
    assert failed.due_at == T0 + timedelta(seconds=1) + timers.backoff(1)
    logged = set(AuditEntry.objects.filter(action=KIND).values_list("object_id", flat=True))
    assert logged == {str(scheduled[0].pk), str(scheduled[2].pk)}  # its savepoint rolled back


def test_a_crash_in_the_middle_of_a_batch_rolls_the_whole_batch_back(seen: list[int]) -> None:
    scheduled = schedule(4)

    def crash_on_the_third(timer: Timer) -> None:
        AuditEntry.objects.create(action=KIND, object_id=str(timer.pk))
        if timer.pk == scheduled[2].pk:
            raise Crash

    with timers.timer_kinds().override(KIND, crash_on_the_third), pytest.raises(Crash):
        timers.fire_due(now=T0 + timedelta(seconds=1))
    assert statuses() == ["pending"] * 4
    assert Timer.objects.filter(attempts__gt=0).count() == 0
    assert not AuditEntry.objects.filter(action=KIND).exists()

    assert len(timers.fire_due(now=T0 + timedelta(seconds=1))) == 4  # "after the restart"
    assert statuses() == ["done"] * 4
    assert AuditEntry.objects.filter(action=KIND).count() == 4


def test_seconds_until_next_due() -> None:
    assert timers.seconds_until_next_due() is None
    timers.register_builtins()
    schedule(1, T0, kind=timers.HEARTBEAT_KIND)
    assert timers.seconds_until_next_due(now=T0 - timedelta(seconds=3)) == 3.0
    assert timers.seconds_until_next_due(now=T0 + timedelta(seconds=1)) == -1.0
    assert timers.seconds_until_next_due() is not None


def test_the_timer_pump_sleeps_until_the_next_due_timer_at_most_its_interval() -> None:
    timers.register_builtins()
    spec = PUMPS.get(timers.TIMER_PUMP)
    assert spec.next_due is timers.seconds_until_next_due
    assert spec.batch == timers.DEFAULT_BATCH_SIZE
    assert pump.idle_wait(spec) == spec.interval_s  # nothing pending
    schedule(1, timezone.now() + timedelta(seconds=0.5), kind=timers.HEARTBEAT_KIND)
    assert 0.3 < pump.idle_wait(spec) <= 0.5
    Timer.objects.update(due_at=timezone.now() - timedelta(seconds=5))
    assert pump.idle_wait(spec) == pump.MIN_WAIT_S  # due now: do not spin
    Timer.objects.update(due_at=timezone.now() + timedelta(hours=1))
    assert pump.idle_wait(spec) == spec.interval_s


def test_a_partial_batch_ends_the_drain() -> None:
    results = [3, 3, 2, 3]

    def tick() -> int:
        return results.pop(0)

    assert pump.drain(PumpSpec("t", tick, batch=3)) == 8
    assert results == [3]


def test_the_loop_keeps_its_connection_between_drains(monkeypatch: pytest.MonkeyPatch) -> None:
    refreshes: list[int] = []
    monkeypatch.setattr(pump, "close_old_connections", lambda: refreshes.append(1))
    stop = threading.Event()
    calls = [0]

    def tick() -> bool:
        calls[0] += 1
        if calls[0] == 3:
            raise RuntimeError("database restarting")
        if calls[0] >= 6:
            stop.set()
        return False

    thread = threading.Thread(
        target=pump.run_loop, args=(PumpSpec("keep", tick, interval_s=0.001), stop)
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert calls[0] == 6
    assert len(refreshes) == 2  # at the start, and after the failed tick


def test_the_outbox_looks_before_it_takes_the_write_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked: list[tuple[str, datetime]] = []
    real = Queue.lock_due

    def spy(self: Queue[Any], moment: datetime, limit: int) -> list[tuple[Any, bool]]:
        locked.append((self.name, moment))
        return real(self, moment, limit)

    monkeypatch.setattr(Queue, "lock_due", spy)
    assert services.claim_next_due() is None
    assert locked == []  # idle: one read, no transaction
    delivery = make_sms(provider="console")
    moment = timezone.now() + timedelta(seconds=1)
    assert services.OUTBOX.has_due(moment)
    assert not services.OUTBOX.has_due(delivery.next_attempt_at - timedelta(seconds=1))
    claim = services.claim_next_due(moment)
    assert claim is not None
    assert locked == [(outbox.OUTBOX_PUMP, moment)]
    assert not services.OUTBOX.has_due(moment)
    assert services.OUTBOX.has_due(moment + services.lease())  # an expired lease is due again


def test_the_outbox_sends_a_batch_with_one_claim_and_one_record_transaction(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.NOTIFICATIONS_BATCH_SIZE = 3
    deliveries = [make_sms(provider="console") for _ in range(4)]
    expired = services.claim_next_due()  # a worker took the first one, then died
    assert expired is not None
    claims: list[int] = []
    real = services.claim_due

    def counting(*args: Any, **kwargs: Any) -> list[services.Claim]:
        batch = real(*args, **kwargs)
        claims.append(len(batch))
        return batch

    monkeypatch.setattr(services, "claim_due", counting)
    later = timezone.now() + services.lease() + timedelta(seconds=1)
    assert outbox.tick() == 3  # the first lease still runs: the three pending ones go out
    assert claims == [3]
    assert outbox.send_due(later) == 1  # the expired lease is reclaimed
    assert outbox.send_due(later) == 0
    sent = Delivery.objects.filter(status="sent").values_list("public_id", flat=True)
    assert sorted(map(str, sent)) == sorted(str(d.public_id) for d in deliveries)
    assert ConsoleMessage.objects.count() == 4


def test_a_batch_leaves_a_delivery_whose_lease_ran_out_to_be_reclaimed(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.NOTIFICATIONS_LEASE_SECONDS = 0
    delivery = make_sms(provider="console")
    assert outbox.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "sending"  # never handed over; reclaimed like a crash
    assert ConsoleMessage.objects.count() == 0
    assert "delivery lease ran out before sending" in caplog.text


def test_only_sqlite_has_one_write_lock() -> None:
    assert pump.pauses_for_other_writers() == (connection.vendor == "sqlite")


def test_the_outbox_pump_waits_briefly_when_idle() -> None:
    from django.conf import settings  # noqa: PLC0415

    interval = PUMPS.get(outbox.OUTBOX_PUMP).interval_s
    assert interval == settings.NOTIFICATIONS_PUMP_INTERVAL_S == outbox.DEFAULT_INTERVAL_S
    assert interval <= 0.1  # a queued SMS is seen within 0.1 s (report→SMS p95 ≤ 300 ms)


def test_db_worker_is_started_again_after_a_locked_database(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[dict[str, Any]] = []
    errors = [OperationalError("database is locked")]

    def fake_call_command(name: str, **options: Any) -> None:
        assert name == "db_worker"
        calls.append(options)
        if errors:
            raise errors.pop(0)

    monkeypatch.setattr(run_worker, "call_command", fake_call_command)
    run_worker.run_db_worker(queue_name="*")
    assert calls == [{"queue_name": "*"}, {"queue_name": "*"}]
    assert "db_worker stopped on a locked database" in caplog.text

    errors.append(OperationalError("no such table: django_tasks_database_dbtaskresult"))
    with pytest.raises(OperationalError, match="no such table"):
        run_worker.run_db_worker(queue_name="*")


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_on_sqlite_a_long_stretch_of_work_pauses_so_other_writers_get_the_lock(
    monkeypatch: pytest.MonkeyPatch, vendor: str
) -> None:
    monkeypatch.setattr(pump, "close_old_connections", lambda: None)
    monkeypatch.setattr(pump, "pauses_for_other_writers", lambda: vendor == "sqlite")
    monkeypatch.setattr(pump, "BUSY_MAX_S", 0.0)
    stop = threading.Event()
    waits: list[float | None] = []
    real_wait = stop.wait

    def counting_wait(timeout: float | None = None) -> bool:
        waits.append(timeout)
        return real_wait(0)

    stop.wait = counting_wait  # type: ignore[method-assign]  # observe the pauses
    calls = [0]

    def tick() -> bool:
        calls[0] += 1
        if calls[0] >= 3:
            stop.set()
        return True  # always more work

    thread = threading.Thread(
        target=pump.run_loop, args=(PumpSpec("busy", tick), stop), kwargs={"limit": 1}
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert calls[0] == 3
    if vendor == "sqlite":
        assert waits == [pump.YIELD_S] * 3  # a pause after every tick, none skipped
    else:
        assert waits == []  # PostgreSQL locks rows: no pause while there is work
