"""kernel.queue: the one claim / lease / retry / dead-letter mechanism behind timers and the
outbox, exercised through test descriptors over both tables (transactional and leased)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from smartduty.kernel import queue, timers
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.kernel.queue import Failure, Lease, Queue, RetryPolicy
from smartduty.notifications import services
from smartduty.notifications.models import Delivery
from smartduty.notifications.states import DeliveryStatus
from tests.factories.notifications import make_sms

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 3, 2, 9, 30, tzinfo=timezone.get_fixed_timezone(480))
RETRY = RetryPolicy(base_seconds=2, cap_seconds=5, max_attempts=3)
buried = Signal()
"""The test queues' dead-letter signal."""


def _describe(row: Any) -> str:
    return f"id={row.pk}"


def _reclaimed(row: Delivery, moment: datetime) -> None:
    AuditEntry.objects.create(action="tests.reclaimed", object_id=str(row.pk), at=moment)


def make_queue(name: str, model: type[Any], due_field: str, **extra: Any) -> Queue[Any]:
    """A queue over a real table with the test policy, batch setting and dead-letter signal."""
    return Queue(
        name=name,
        model=model,
        describe=_describe,
        due_field=due_field,
        retry=RETRY,
        batch_setting="TESTS_QUEUE_BATCH",
        batch_default=4,
        dead_letter=buried,
        **extra,
    )


TRANSACTIONAL: Queue[Timer] = make_queue("tests.transactional", Timer, "due_at")
LEASED: Queue[Delivery] = make_queue(
    "tests.leased",
    Delivery,
    "next_attempt_at",
    lease=Lease(
        status=DeliveryStatus.SENDING,
        field="lease_until",
        setting="TESTS_QUEUE_LEASE",
        default_seconds=30,
    ),
    on_reclaim=_reclaimed,
)


@pytest.fixture
def dead() -> Iterator[list[Any]]:
    """What the test queues dead-lettered, in order (the signal's keyword is the model name)."""
    received: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs.get("timer") or kwargs.get("delivery"))

    buried.connect(receiver, dispatch_uid="tests.queue")
    yield received
    buried.disconnect(dispatch_uid="tests.queue")


def timer(due_at: datetime = T0, **fields: Any) -> Timer:
    return Timer.objects.create(
        kind="tests.queue", subject_type="tests", subject_id="1", due_at=due_at, **fields
    )


def delivery(due_at: datetime = T0, **fields: Any) -> Delivery:
    row = make_sms(provider="console")
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=due_at, **fields)
    row.refresh_from_db()
    return row


def claim(queue_: Queue[Any], moment: datetime, limit: int = 10) -> list[Any]:
    with queue_.claim(moment, limit) as rows:
        return list(rows)


# -- the retry policy and settings -------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "delays", "max_attempts"),
    [
        (timers.RETRY, [10, 10, 20, 40, 80, 160, 320, 600, 600], 8),
        (services.RETRY, [5, 5, 10, 20, 40, 80, 160, 300, 300], 6),
    ],
)
def test_timers_and_outbox_are_two_retry_policies(
    policy: RetryPolicy, delays: list[int], max_attempts: int
) -> None:
    assert [policy.backoff(n).total_seconds() for n in range(9)] == delays
    assert policy.max_attempts == max_attempts
    assert not policy.gives_up(max_attempts - 1)
    assert policy.gives_up(max_attempts)
    assert timers.backoff(3) == timers.RETRY.backoff(3)
    assert services.RETRY.max_attempts == services.MAX_ATTEMPTS


def test_settings_readers(settings: Any) -> None:
    assert TRANSACTIONAL.batch_size() == 4
    settings.TESTS_QUEUE_BATCH = 0
    assert TRANSACTIONAL.batch_size() == 1  # never below one
    settings.TESTS_QUEUE_BATCH = "7"
    assert LEASED.batch_size() == 7
    assert LEASED.lease_duration() == timedelta(seconds=30)
    settings.TESTS_QUEUE_LEASE = 0
    assert LEASED.lease_duration() == timedelta(0)
    assert queue.setting_float("TESTS_QUEUE_MISSING", 0.25) == 0.25
    with pytest.raises(TypeError, match="transaction, not a lease"):
        TRANSACTIONAL.lease_duration()


def test_a_queue_refuses_a_status_its_table_does_not_have() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"kernel\.Timer\.status has no sent"):
        make_queue("tests.typo", Timer, "due_at", failed="sent")


# -- claiming ----------------------------------------------------------------------------


def test_an_idle_claim_is_plain_reads_and_opens_no_transaction(
    django_assert_num_queries: Any,
) -> None:
    timer(T0 + timedelta(seconds=1))
    delivery(T0 + timedelta(seconds=1))
    with django_assert_num_queries(1), TRANSACTIONAL.claim(T0, 10) as rows:  # no SAVEPOINT
        assert rows == []
    with django_assert_num_queries(2):  # pending due? expired leases?
        assert claim(LEASED, T0) == []


def test_a_claim_takes_the_most_overdue_due_items_up_to_the_limit() -> None:
    late = timer(T0 - timedelta(seconds=5))
    later = timer(T0 - timedelta(seconds=1))
    latest = timer(T0)
    timer(T0 + timedelta(seconds=1))  # not due
    timer(T0 - timedelta(hours=1), status=TimerStatus.DONE)
    assert [t.pk for t in claim(TRANSACTIONAL, T0, limit=2)] == [late.pk, later.pk]
    assert [t.pk for t in claim(TRANSACTIONAL, T0)] == [late.pk, later.pk, latest.pk]


def test_a_transactional_claim_commits_or_rolls_back_with_the_work() -> None:
    row = timer()

    def work_then_die() -> None:
        with TRANSACTIONAL.claim(T0, 10) as rows:
            assert connection.in_atomic_block
            for item in rows:
                Timer.objects.filter(pk=item.pk).update(status=TimerStatus.DONE)
            raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        work_then_die()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (TimerStatus.PENDING, 0)  # the crash undid it all
    with TRANSACTIONAL.claim(T0, 10) as rows:
        assert [t.pk for t in rows] == [row.pk]
        assert rows[0].attempts == 0  # a transactional claim counts nothing itself


def test_a_leased_claim_leases_counts_the_try_and_commits() -> None:
    row = delivery()
    [taken] = claim(LEASED, T0)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENDING, 1)
    assert row.lease_until == T0 + timedelta(seconds=30)
    assert taken.lease_until == row.lease_until
    assert claim(LEASED, T0 + timedelta(seconds=29)) == []  # the lease still holds


def test_expired_leases_are_reclaimed_first(caplog: pytest.LogCaptureFixture) -> None:
    pending = delivery(T0 - timedelta(seconds=10))
    expired = delivery(
        T0 - timedelta(minutes=5),
        status=DeliveryStatus.SENDING,
        attempts=1,
        lease_until=T0 - timedelta(seconds=1),
    )
    assert [d.pk for d in claim(LEASED, T0, limit=1)] == [expired.pk]
    expired.refresh_from_db()
    assert (expired.status, expired.attempts) == (DeliveryStatus.SENDING, 2)
    assert expired.lease_until == T0 + timedelta(seconds=30)
    assert f"delivery lease expired id={expired.pk} attempts=1" in caplog.text
    reclaimed = AuditEntry.objects.get(action="tests.reclaimed")  # the on_reclaim hook ran
    assert reclaimed.object_id == str(expired.pk)
    assert [d.pk for d in claim(LEASED, T0)] == [pending.pk]


def test_a_lease_whose_worker_died_on_every_try_is_dead_lettered_and_the_claim_goes_on(
    dead: list[Any], django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    hopeless = delivery(
        status=DeliveryStatus.SENDING,
        attempts=RETRY.max_attempts,
        lease_until=T0 - timedelta(seconds=1),
    )
    fresh = delivery(T0)
    with django_capture_on_commit_callbacks(execute=True):
        taken = claim(LEASED, T0, limit=1)  # took the hopeless one, buried it, looked again
    assert [d.pk for d in taken] == [fresh.pk]
    hopeless.refresh_from_db()
    assert hopeless.status == DeliveryStatus.FAILED
    assert (hopeless.last_error, hopeless.lease_until) == ("多次处理中断，已放弃", None)
    assert hopeless.attempts == RETRY.max_attempts
    assert [d.pk for d in dead] == [hopeless.pk]
    assert f"delivery gave up id={hopeless.pk} attempts=3" in caplog.text


def test_a_lease_is_held_until_another_worker_reclaims_it(caplog: pytest.LogCaptureFixture) -> None:
    delivery()
    [slow] = claim(LEASED, T0)
    with transaction.atomic():
        held = LEASED.holds_lease(slow)
        assert held is not None
        assert held.pk == slow.pk
    [fast] = claim(LEASED, T0 + timedelta(seconds=30))  # the slow worker's lease ran out
    with transaction.atomic():
        assert LEASED.holds_lease(slow) is None
        assert LEASED.holds_lease(fast) is not None
    assert f"delivery lease lost id={slow.pk}" in caplog.text
    with pytest.raises(TypeError):
        TRANSACTIONAL.holds_lease(timer())


# -- failing -----------------------------------------------------------------------------


def test_a_transactional_failure_counts_the_attempt_and_backs_off(
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    row = timer()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert TRANSACTIONAL.fail(row, "x" * 5000, T0) is Failure.RETRY
    row.refresh_from_db()
    assert (row.status, row.attempts, row.due_at) == (TimerStatus.PENDING, 1, T0 + RETRY.backoff(1))
    assert row.last_error == "x" * queue.ERROR_MAX_CHARS
    assert f"timer retry id={row.pk} attempts=1 retry_at=" in caplog.text


def test_a_leased_failure_frees_the_lease_without_counting_again() -> None:
    row = delivery()
    [taken] = claim(LEASED, T0)
    with transaction.atomic():
        assert LEASED.fail(taken, "timeout", T0 + timedelta(seconds=1)) is Failure.RETRY
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_until) == (DeliveryStatus.PENDING, 1, None)
    assert row.next_attempt_at == T0 + timedelta(seconds=1) + RETRY.backoff(1)
    assert claim(LEASED, T0 + timedelta(seconds=2)) == []
    assert len(claim(LEASED, row.next_attempt_at)) == 1


def test_after_max_attempts_an_item_is_dead_lettered_once(dead: list[Any]) -> None:
    row = timer()
    moment = T0
    outcomes = []
    for _ in range(RETRY.max_attempts):
        [taken] = claim(TRANSACTIONAL, moment)
        outcomes.append(TRANSACTIONAL.fail(taken, "bug", moment))
        moment = taken.due_at
    assert outcomes == [Failure.RETRY, Failure.RETRY, Failure.DEAD]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (TimerStatus.FAILED, RETRY.max_attempts)
    assert [t.pk for t in dead] == [row.pk]
    assert dead[0].status == TimerStatus.FAILED
    assert claim(TRANSACTIONAL, moment + timedelta(days=1)) == []


def test_a_permanent_failure_is_dead_lettered_at_once(dead: list[Any]) -> None:
    row = delivery()
    [taken] = claim(LEASED, T0)
    assert LEASED.fail(taken, "number illegal", T0, retryable=False) is Failure.DEAD
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_until) == (DeliveryStatus.FAILED, 1, None)
    assert [d.pk for d in dead] == [row.pk]


def test_a_raising_dead_letter_receiver_is_logged_and_undone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def receiver(sender: Any, **kwargs: Any) -> None:
        AuditEntry.objects.create(action="tests.alert")
        raise RuntimeError("pager down")

    buried.connect(receiver, dispatch_uid="tests.raising")
    try:
        row = timer(attempts=RETRY.max_attempts - 1)
        assert TRANSACTIONAL.fail(row, "bug", T0) is Failure.DEAD
    finally:
        buried.disconnect(dispatch_uid="tests.raising")
    row.refresh_from_db()
    assert row.status == TimerStatus.FAILED
    assert not AuditEntry.objects.filter(action="tests.alert").exists()
    assert "a kernel.Timer receiver raised; the timer keeps its status" in caplog.text


# -- timing and metrics ------------------------------------------------------------------


def test_next_due_in_counts_pending_items_and_running_leases() -> None:
    assert TRANSACTIONAL.next_due_in(T0) is None
    timer(T0 + timedelta(seconds=3))
    assert TRANSACTIONAL.next_due_in(T0) == 3.0
    assert TRANSACTIONAL.next_due_in(T0 + timedelta(seconds=4)) == -1.0
    assert LEASED.next_due_in(T0) is None
    delivery(T0 + timedelta(minutes=5))
    delivery(T0 - timedelta(seconds=1))
    claim(LEASED, T0)  # the overdue one is now leased until T0 + 30 s
    assert LEASED.next_due_in(T0) == 30.0


def test_metrics_count_each_state_and_the_oldest_lateness() -> None:
    timer(T0 - timedelta(seconds=90))
    timer(T0 - timedelta(seconds=5))
    timer(T0 + timedelta(seconds=5))
    timer(T0 - timedelta(hours=1), status=TimerStatus.FAILED)
    timer(T0 - timedelta(hours=1), status=TimerStatus.DONE)
    assert TRANSACTIONAL.metrics(T0) == queue.QueueMetrics(
        queue="tests.transactional",
        pending=3,
        due=2,
        leased=None,
        expired=None,
        failed=1,
        oldest_due_s=90.0,
    )

    delivery(T0 + timedelta(seconds=5))
    delivery(T0 - timedelta(seconds=1), status=DeliveryStatus.FAILED)
    delivery(status=DeliveryStatus.SENDING, attempts=1, lease_until=T0 - timedelta(seconds=120))
    delivery(status=DeliveryStatus.SENDING, attempts=1, lease_until=T0 + timedelta(seconds=20))
    figures = LEASED.metrics(T0)
    assert figures.as_dict() == {
        "pending": 1,
        "due": 0,
        "leased": 2,
        "expired": 1,
        "failed": 1,
        "oldest_due_s": 120.0,  # the expired lease is due again since it ran out
    }
    assert LEASED.metrics(T0 - timedelta(hours=1)).oldest_due_s == 0.0


def test_timers_and_the_outbox_register_their_queues() -> None:
    timers.register_builtins()
    timers.register_builtins()  # idempotent
    names = [q.name for q in queue.registered_queues()]
    assert timers.TIMER_PUMP in names
    assert "notifications.outbox" in names
    figures = {m.queue: m for m in queue.queue_metrics()}
    assert figures[timers.TIMER_PUMP].leased is None
    assert figures["notifications.outbox"].leased == 0
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        queue.register_queue(make_queue(timers.TIMER_PUMP, Timer, "due_at"))


def test_a_failure_is_logged_only_once_committed(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.WARNING, logger="smartduty.kernel.queue")
    row = timer()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        TRANSACTIONAL.fail(row, "bug", T0)
        transaction.set_rollback(True)  # the worker died before its commit
    assert "timer retry" not in caplog.text
    row.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        TRANSACTIONAL.fail(row, "bug", T0)
    assert f"timer retry id={row.pk} attempts=1" in caplog.text
