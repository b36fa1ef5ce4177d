"""kernel.timers: schedule, cancel, fire, retry with back-off, give up, deduplicate."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.events import timer_failed
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.kernel.registry import registered_pumps

pytestmark = pytest.mark.django_db

KIND = "tests.deadline"
T0 = datetime(2030, 3, 2, 9, 30, tzinfo=timezone.get_fixed_timezone(480))


class Subject:
    """Stands in for an aggregate: the handler no-ops once it is resolved."""

    def __init__(self) -> None:
        self.resolved = False
        self.lapsed = 0
        self.seen: list[int] = []


@pytest.fixture
def subject() -> Subject:
    return Subject()


@pytest.fixture
def handler(subject: Subject) -> Iterator[Callable[[Timer], None]]:
    """An idempotent handler in the style of `parking.move_deadline`."""

    def on_deadline(timer: Timer) -> None:
        subject.seen.append(timer.pk)
        if subject.resolved:
            return
        subject.lapsed += 1

    with timers.timer_kinds().override(KIND, on_deadline):
        yield on_deadline


def schedule(due_at: datetime = T0, **kwargs: Any) -> Timer:
    values: dict[str, Any] = {"kind": KIND, "subject_type": "tests.report", "subject_id": "42"}
    values.update(kwargs)
    with transaction.atomic():
        return timers.schedule(due_at=due_at, **values)


@pytest.fixture
def failed_signals() -> Iterator[list[Timer]]:
    received: list[Timer] = []

    def receiver(sender: Any, *, timer: Timer, **kwargs: Any) -> None:
        received.append(timer)

    timer_failed.connect(receiver, dispatch_uid="tests.failed")
    yield received
    timer_failed.disconnect(dispatch_uid="tests.failed")


def test_schedule_inserts_a_pending_timer(handler: Any) -> None:
    timer = schedule(policy_version=3, subject_id=7)  # type: ignore[arg-type]  # coerced
    timer.refresh_from_db()
    assert timer.status == TimerStatus.PENDING
    assert (timer.kind, timer.subject_type, timer.subject_id) == (KIND, "tests.report", "7")
    assert timer.due_at == T0
    assert timer.policy_version == 3
    assert timer.attempts == 0
    assert timer.fired_at is None
    assert timer.lateness_ms is None
    assert str(timer).startswith(f"{KIND} tests.report:7 @ ")


def test_schedule_refuses_to_run_outside_a_transaction(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        timers.schedule(kind=KIND, subject_type="t", subject_id="1", due_at=T0)


def test_schedule_refuses_an_unknown_kind() -> None:
    with pytest.raises(LookupError, match=r"tests\.unknown"), transaction.atomic():
        timers.schedule(kind="tests.unknown", subject_type="t", subject_id="1", due_at=T0)


def test_schedule_refuses_a_naive_due_at(handler: Any) -> None:
    with pytest.raises(ValueError, match="aware"):
        schedule(due_at=datetime(2026, 3, 2, 9, 30))  # noqa: DTZ001 - the point of the test


def test_schedule_validates_field_lengths(handler: Any) -> None:
    with pytest.raises(ValidationError):
        schedule(subject_type="x" * 81)


def test_dedupe_key_returns_the_pending_timer(handler: Any) -> None:
    first = schedule(dedupe_key="report:42:deadline")
    second = schedule(dedupe_key="report:42:deadline", due_at=T0 + timedelta(minutes=5))
    assert second.pk == first.pk
    assert second.due_at == T0
    assert Timer.objects.count() == 1


def test_dedupe_key_is_free_again_once_the_timer_is_done(handler: Any) -> None:
    first = schedule(dedupe_key="k")
    timers.fire_next_due(now=T0)
    second = schedule(dedupe_key="k")
    assert second.pk != first.pk
    assert Timer.objects.filter(dedupe_key="k", status=TimerStatus.PENDING).count() == 1


def test_a_known_key_is_found_after_the_insert_clashes(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # insert first: a new key costs no read; a taken one (a retry, or another transaction
    # that got there first) fails the insert in its savepoint and returns the pending timer
    real = timers._pending_with_key
    calls: list[str] = []

    def counted(key: str) -> Timer | None:
        calls.append(key)
        return real(key)

    monkeypatch.setattr(timers, "_pending_with_key", counted)
    winner = schedule(dedupe_key="race")
    assert calls == []
    assert schedule(dedupe_key="race").pk == winner.pk
    assert calls == ["race"]
    assert Timer.objects.filter(dedupe_key="race").count() == 1


def test_dedupe_integrity_error_without_a_winner_propagates(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule(dedupe_key="ghost")
    monkeypatch.setattr(timers, "_pending_with_key", lambda _key: None)
    with pytest.raises(IntegrityError):
        schedule(dedupe_key="ghost")


def test_cancel_cancels_only_the_subjects_pending_timers_of_that_kind(
    handler: Any, subject: Subject
) -> None:
    target = schedule()
    other_subject = schedule(subject_id="43")
    done = schedule(due_at=T0 - timedelta(minutes=1))
    timers.fire_next_due(now=T0 - timedelta(seconds=30))
    with timers.timer_kinds().override("tests.other", lambda _timer: None):
        other_kind = schedule(kind="tests.other")
    assert timers.cancel(kind=KIND, subject_type="tests.report", subject_id="42") == 1
    statuses = dict(Timer.objects.values_list("pk", "status"))
    assert statuses == {
        target.pk: TimerStatus.CANCELLED,
        other_subject.pk: TimerStatus.PENDING,
        done.pk: TimerStatus.DONE,
        other_kind.pk: TimerStatus.PENDING,
    }
    subject.seen.clear()
    timers.fire_next_due(now=T0)
    assert target.pk not in subject.seen


def test_cancelled_timer_never_fires(handler: Any, subject: Subject) -> None:
    schedule()
    timers.cancel(kind=KIND, subject_type="tests.report", subject_id="42")
    assert timers.fire_next_due(now=T0 + timedelta(hours=1)) is None
    assert subject.seen == []


def test_nothing_due_returns_none(handler: Any, subject: Subject) -> None:
    schedule()
    assert timers.fire_next_due(now=T0 - timedelta(seconds=1)) is None
    assert not timers.tick()
    assert subject.seen == []


def test_fires_the_most_overdue_timer_first_and_marks_it_done(
    handler: Any, subject: Subject, caplog: pytest.LogCaptureFixture
) -> None:
    later = schedule(due_at=T0 + timedelta(seconds=5))
    earlier = schedule(due_at=T0)
    caplog.set_level(logging.INFO, logger="smartduty.kernel.timers")
    fired = timers.fire_next_due(now=T0 + timedelta(seconds=10))
    assert fired is not None
    assert fired.pk == earlier.pk
    fired.refresh_from_db()
    assert fired.status == TimerStatus.DONE
    assert fired.fired_at == T0 + timedelta(seconds=10)
    assert fired.lateness_ms == 10_000
    assert subject.lapsed == 1
    assert "timer fired kind=tests.deadline" in caplog.text
    assert "lateness_ms=10000" in caplog.text
    second = timers.fire_next_due(now=T0 + timedelta(seconds=10))
    assert second is not None
    assert second.pk == later.pk
    assert timers.fire_next_due(now=T0 + timedelta(seconds=10)) is None


def test_tick_reports_whether_it_fired(handler: Any) -> None:
    schedule(due_at=timezone.now() - timedelta(seconds=1))
    assert timers.tick()
    assert not timers.tick()


def test_resolved_subject_makes_the_handler_a_no_op(handler: Any, subject: Subject) -> None:
    timer = schedule()
    subject.resolved = True
    timers.fire_next_due(now=T0)
    timer.refresh_from_db()
    assert timer.status == TimerStatus.DONE
    assert subject.seen == [timer.pk]
    assert subject.lapsed == 0


def test_handler_error_is_retried_with_back_off_then_succeeds(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    outcomes = [RuntimeError("owner lookup down"), RuntimeError("still down"), None]

    def flaky(timer: Timer) -> None:
        AuditEntry.objects.create(action="tests.side_effect", object_id=str(timer.pk))
        error = outcomes.pop(0)
        if error is not None:
            raise error

    with timers.timer_kinds().override(KIND, flaky):
        timer = schedule()
        caplog.set_level(logging.WARNING, logger="smartduty.kernel.queue")
        with django_capture_on_commit_callbacks(execute=True):  # logged once committed
            timers.fire_next_due(now=T0)
        timer.refresh_from_db()
        assert (timer.status, timer.attempts) == (TimerStatus.PENDING, 1)
        assert timer.last_error == "RuntimeError: owner lookup down"
        assert timer.due_at == T0 + timedelta(seconds=10)
        assert f"timer retry kind=tests.deadline id={timer.pk} attempts=1" in caplog.text
        assert timers.fire_next_due(now=T0 + timedelta(seconds=9)) is None
        timers.fire_next_due(now=T0 + timedelta(seconds=10))
        timer.refresh_from_db()
        assert (timer.attempts, timer.due_at) == (2, T0 + timedelta(seconds=30))
        timers.fire_next_due(now=T0 + timedelta(seconds=30))
        timer.refresh_from_db()
        assert timer.status == TimerStatus.DONE
        assert timer.fired_at == T0 + timedelta(seconds=30)
    # the failed runs' writes were rolled back with their savepoints
    assert AuditEntry.objects.filter(action="tests.side_effect").count() == 1


def test_unregistered_kind_counts_as_a_failure() -> None:
    with timers.timer_kinds().override("tests.gone", lambda _timer: None):
        timer = schedule(kind="tests.gone")
    timers.fire_next_due(now=T0)
    timer.refresh_from_db()
    assert timer.attempts == 1
    assert timer.last_error == "LookupError: 未注册的定时器类型 tests.gone"


def test_eight_failures_mark_the_timer_failed_and_send_timer_failed(
    failed_signals: list[Timer],
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(timer: Timer) -> None:
        raise ValueError("bug")

    with timers.timer_kinds().override(KIND, broken):
        timer = schedule()
        moment = T0
        delays = []
        for _ in range(timers.MAX_ATTEMPTS - 1):
            timers.fire_next_due(now=moment)
            timer.refresh_from_db()
            delays.append((timer.due_at - moment).total_seconds())
            moment = timer.due_at
        assert failed_signals == []
        caplog.set_level(logging.ERROR, logger="smartduty.kernel.queue")
        with django_capture_on_commit_callbacks(execute=True):
            timers.fire_next_due(now=moment)
    timer.refresh_from_db()
    assert delays == [10, 20, 40, 80, 160, 320, 600]
    assert (timer.status, timer.attempts) == (TimerStatus.FAILED, 8)
    assert timer.fired_at is None
    assert [t.pk for t in failed_signals] == [timer.pk]
    assert failed_signals[0].status == TimerStatus.FAILED
    assert f"timer gave up kind=tests.deadline id={timer.pk} attempts=8" in caplog.text
    assert timers.fire_next_due(now=moment + timedelta(days=1)) is None


def test_a_raising_timer_failed_receiver_does_not_undo_the_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(timer: Timer) -> None:
        raise ValueError("bug")

    def alerting_receiver(sender: Any, **kwargs: Any) -> None:
        AuditEntry.objects.create(action="tests.alert")
        raise RuntimeError("pager down")

    timer_failed.connect(alerting_receiver, dispatch_uid="tests.raising")
    try:
        with timers.timer_kinds().override(KIND, broken):
            timer = schedule()
            Timer.objects.filter(pk=timer.pk).update(attempts=timers.MAX_ATTEMPTS - 1)
            timers.fire_next_due(now=T0)
    finally:
        timer_failed.disconnect(dispatch_uid="tests.raising")
    timer.refresh_from_db()
    assert timer.status == TimerStatus.FAILED
    assert not AuditEntry.objects.filter(action="tests.alert").exists()
    assert "a kernel.Timer receiver raised; the timer keeps its status" in caplog.text


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 10), (1, 10), (2, 20), (3, 40), (6, 320), (7, 600), (8, 600), (30, 600)],
)
def test_backoff(attempts: int, seconds: int) -> None:
    assert timers.backoff(attempts) == timedelta(seconds=seconds)


def test_heartbeat_writes_one_audit_row_per_timer() -> None:
    timers.register_builtins()
    timer = timers.schedule_heartbeat()
    assert timer.kind == timers.HEARTBEAT_KIND
    assert timers.fire_next_due() is not None
    handler = timers.timer_kinds().get(timers.HEARTBEAT_KIND)
    handler(timer)  # a second run (e.g. after a crash) writes nothing more
    rows = AuditEntry.objects.filter(action=timers.HEARTBEAT_KIND, object_id=str(timer.pk))
    assert rows.count() == 1
    assert rows.get().actor_name == "system"


def test_register_builtins_is_idempotent_and_registers_the_timer_pump() -> None:
    timers.register_builtins()
    timers.register_builtins()
    pumps = {spec.name: spec for spec in registered_pumps()}
    assert pumps[timers.TIMER_PUMP].tick is timers.tick
    assert pumps[timers.TIMER_PUMP].interval_s == 1.0
    assert timers.HEARTBEAT_KIND in timers.timer_kinds()
