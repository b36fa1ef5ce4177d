"""Durable deadlines: schedule, cancel and fire `kernel.Timer` rows.

- Services call `schedule()` / `cancel()` inside the transaction of the decision that caused
  them, so a deadline exists exactly when the state that needs it was committed.
- Apps register a handler per timer kind in `ready()` with `register_timer_kind()`. A handler
  takes the `Timer`, re-reads its subject and is idempotent: it does nothing if the subject
  already left the state, else it calls the aggregate's `transition()`. It never sleeps and
  makes no network calls (request a notification or enqueue a task instead).
- The timer pump of `run_worker` calls `fire_due()` until a call finds fewer than a full
  batch due. Timers are the transactional queue `TIMERS` of `kernel.queue` (claiming,
  retries, dead letters and metrics are shared with the outbox): a batch is up to
  `batch_size()` (100) due timers, most overdue first, claimed in one transaction, which
  stops taking timers after `batch_max_seconds()` (0.2 s); the next one goes on. Each
  handler runs in its own savepoint; success marks the timer `done`, an error counts an
  attempt and pushes `due_at` back by `backoff()` (10 s · 2^(attempts-1), at most 10 min);
  after `MAX_ATTEMPTS` (8) the timer is `failed` and `kernel.events.timer_failed` is sent.
  The `done` marks are written by one UPDATE at the end of the transaction that ran the
  handlers. A crash rolls the whole transaction back: its timers stay pending and fire,
  once, after the restart. Between drains the pump sleeps until the earliest pending
  `due_at` (`seconds_until_next_due`), at most `TIMERS_PUMP_INTERVAL_S` (1 s).

Lateness (`fired_at - due_at`) is logged: one line per fired timer for small batches, one
summary line (count, p50, max) for batches of more than `LOG_EACH_MAX` timers. `fired_at`
is the time the batch's handlers had all run (just before its commit). After a retry
`due_at` is the retry time, so lateness measures the pump, not the handler's failures.

Settings (all optional): `TIMERS_PUMP_INTERVAL_S` (1.0), `TIMERS_BATCH_SIZE` (100),
`TIMERS_BATCH_MAX_SECONDS` (0.2).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.events import timer_failed
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.kernel.queue import Queue, RetryPolicy, register_queue, setting_float
from smartduty.kernel.registry import Registry, register_pump

logger = logging.getLogger(__name__)

TimerHandler = Callable[[Timer], None]
"""A timer kind's handler: takes the Timer, returns nothing, idempotent."""

RETRY = RetryPolicy(base_seconds=10, cap_seconds=600, max_attempts=8)
"""A failing handler runs again after 10 s, 20 s, 40 s … at most 10 min; 8 failures: `failed`."""
MAX_ATTEMPTS = RETRY.max_attempts
"""Failed runs before a timer is marked `failed`."""
backoff = RETRY.backoff
"""Delay before the next run after `attempts` failures: 10 s · 2^(attempts-1), ≤ 10 min."""
DEFAULT_INTERVAL_S = 1.0
"""Longest idle wait of the timer pump (`settings.TIMERS_PUMP_INTERVAL_S`)."""
DEFAULT_BATCH_SIZE = 100
"""Timers claimed per transaction (`settings.TIMERS_BATCH_SIZE`)."""
DEFAULT_BATCH_MAX_SECONDS = 0.2
"""A batch stops taking its next timer after this long (`settings.TIMERS_BATCH_MAX_SECONDS`);
the rest stay pending for the next batch. Bounds how long a batch holds its locks."""
LOG_EACH_MAX = 10
"""Batches firing at most this many timers log one line per timer; larger ones a summary."""

TIMER_PUMP = "kernel.timers"
"""Name of the pump that fires timers in `run_worker`."""
HEARTBEAT_KIND = "kernel.heartbeat"
"""Built-in no-op kind: proves the worker fires timers (liveness checks, worker tests)."""

_KINDS: Registry[TimerHandler] = Registry("timer kind")


def _describe(timer: Timer) -> str:
    return f"kind={timer.kind} id={timer.pk}"


TIMERS: Queue[Timer] = Queue(
    name=TIMER_PUMP,
    model=Timer,
    describe=_describe,
    due_field="due_at",
    retry=RETRY,
    batch_setting="TIMERS_BATCH_SIZE",
    batch_default=DEFAULT_BATCH_SIZE,
    dead_letter=timer_failed,
)
"""The timers as a transactional queue: handlers run inside the claiming transaction."""


def register_timer_kind(kind: str, handler: TimerHandler) -> None:
    """Register the handler of a dotted timer kind (`parking.move_deadline`); from `ready()`."""
    _KINDS.register(kind, handler)


def timer_kinds() -> Registry[TimerHandler]:
    """The registry of timer kinds (tests use `.override()` to add a kind for a block)."""
    return _KINDS


def schedule(
    *,
    kind: str,
    subject_type: str,
    subject_id: str,
    due_at: datetime,
    dedupe_key: str | None = None,
    policy_version: int | None = None,
) -> Timer:
    """Insert a pending timer in the caller's transaction and return it.

    With a `dedupe_key`, a pending timer with the same key is returned unchanged instead of
    inserting a second one (unique among pending timers, also under concurrency).
    Raises `RuntimeError` outside `transaction.atomic()` and `LookupError` for a kind that no
    app registered.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("timers.schedule() must run inside the caller's transaction.atomic()")
    _KINDS.get(kind)
    if timezone.is_naive(due_at):
        raise ValueError("due_at must be timezone-aware")
    timer = Timer(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        due_at=due_at,
        dedupe_key=dedupe_key,
        policy_version=policy_version,
    )
    timer.full_clean(validate_constraints=False)
    if dedupe_key is None:
        timer.save()
        return timer
    # insert first (the usual case: the key is new), read the existing one only on a clash
    try:
        with transaction.atomic():
            timer.save()
    except IntegrityError:
        existing = _pending_with_key(dedupe_key)
        if existing is None:
            raise
        return existing
    return timer


def _pending_with_key(dedupe_key: str) -> Timer | None:
    return Timer.objects.filter(dedupe_key=dedupe_key, status=TimerStatus.PENDING).first()


def cancel(*, kind: str, subject_type: str, subject_id: str) -> int:
    """Cancel the subject's pending timers of this kind; returns how many were cancelled.

    Call it in the transaction that leaves the state the deadline belonged to.
    """
    return Timer.objects.filter(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        status=TimerStatus.PENDING,
    ).update(status=TimerStatus.CANCELLED)


def batch_size() -> int:
    """Timers claimed per transaction (`settings.TIMERS_BATCH_SIZE`, default 100)."""
    return TIMERS.batch_size()


def batch_max_seconds() -> float:
    """How long one batch may keep taking timers (`settings.TIMERS_BATCH_MAX_SECONDS`)."""
    return setting_float("TIMERS_BATCH_MAX_SECONDS", DEFAULT_BATCH_MAX_SECONDS)


def fire_next_due(now: datetime | None = None) -> Timer | None:
    """Fire the most overdue pending timer in one transaction; None when nothing is due."""
    handled = fire_due(now, limit=1)
    return handled[0] if handled else None


def fire_due(now: datetime | None = None, *, limit: int | None = None) -> list[Timer]:
    """Fire up to `limit` (default `batch_size()`) due timers, most overdue first; returns
    the timers handled (fired, retried or failed), [] when none was due.

    The timers are claimed and fired in one transaction, or in several when the handlers
    take longer than `batch_max_seconds()` (a transaction stops taking timers then, so it
    never holds its locks much longer). Fewer than `limit` handled means nothing more is
    due. With `now` (tests), claims and `fired_at` use that moment instead of the clock.
    """
    moment = now or timezone.now()
    wanted = limit or batch_size()
    handled: list[Timer] = []
    while True:  # a batch cut short handled fewer than it claimed, so some are still wanted
        chunk, cut_short = _fire_batch(moment, wanted - len(handled), fixed_now=now)
        handled += chunk
        if not cut_short:
            return handled


def _fire_batch(
    moment: datetime, limit: int, *, fixed_now: datetime | None
) -> tuple[list[Timer], bool]:
    """One transaction (`TIMERS.claim`): claim up to `limit` timers due at `moment` and run
    their handlers.

    Each handler runs in its own savepoint, so a failing handler's writes are undone and
    the others' are kept. Successful timers are marked `done` with one UPDATE at the end,
    in the same transaction: either a timer's handler effects and its `done` mark commit
    together, or (crash, lost connection) neither does and the timer stays pending.
    Returns the handled timers and whether the time budget left claimed timers unhandled
    (they stay pending, and are unlocked at commit).
    """
    handled: list[Timer] = []
    fired: list[Timer] = []
    with TIMERS.claim(moment, limit) as batch:
        stop_at = time.monotonic() + batch_max_seconds()
        for timer in batch:
            if handled and time.monotonic() >= stop_at:
                break
            handled.append(timer)
            if _run_handler(timer, moment):
                fired.append(timer)
        if fired:
            fired_at = fixed_now or timezone.now()
            Timer.objects.filter(pk__in=[timer.pk for timer in fired]).update(
                status=TimerStatus.DONE, fired_at=fired_at
            )
            for timer in fired:
                timer.status = TimerStatus.DONE
                timer.fired_at = fired_at
    _log_fired(fired)
    return handled, len(handled) < len(batch)


def _log_fired(fired: Sequence[Timer]) -> None:
    if len(fired) <= LOG_EACH_MAX:
        for timer in fired:
            logger.info(
                "timer fired kind=%s id=%s subject=%s:%s lateness_ms=%s",
                timer.kind,
                timer.pk,
                timer.subject_type,
                timer.subject_id,
                timer.lateness_ms,
            )
        return
    lateness = sorted(timer.lateness_ms or 0 for timer in fired)
    logger.info(
        "timers fired count=%s kinds=%s lateness_ms_p50=%s lateness_ms_max=%s",
        len(fired),
        ",".join(sorted({timer.kind for timer in fired})),
        lateness[len(lateness) // 2],
        lateness[-1],
    )


def seconds_until_next_due(now: datetime | None = None) -> float | None:
    """Seconds until the earliest pending timer is due (≤ 0: due now); None when none is pending.

    The timer pump's `next_due`: it sleeps until then instead of a whole interval.
    """
    return TIMERS.next_due_in(now or timezone.now())


def tick() -> int:
    """The timer pump's tick: fire one batch of due timers; how many (0 when none was due)."""
    return len(fire_due())


def _run_handler(timer: Timer, moment: datetime) -> bool:
    """Run the timer's handler in a savepoint; True on success, else record the failure
    (`TIMERS.fail`: retry with back-off, or give up and send `timer_failed`)."""
    handler = _KINDS.find(timer.kind)
    try:
        if handler is None:
            raise LookupError(f"未注册的定时器类型 {timer.kind}")
        with transaction.atomic():
            handler(timer)
    except Exception as exc:  # any handler error is recorded and retried
        TIMERS.fail(timer, f"{type(exc).__name__}: {exc}", moment)
        return False
    return True


def _heartbeat(timer: Timer) -> None:
    """Handler of `kernel.heartbeat`: one audit row per timer, however often it runs."""
    object_id = str(timer.pk)
    # looked up by (object_type, object_id) alone, so the planner can only use that index
    # (with `action` too it may pick the `action` index, where every heartbeat is a match)
    actions = AuditEntry.objects.filter(object_type="kernel.timer", object_id=object_id)
    if HEARTBEAT_KIND in actions.values_list("action", flat=True):
        return
    audit.record(
        actor=None,
        action=HEARTBEAT_KIND,
        object_type="kernel.timer",
        object_id=object_id,
        reason="后台 worker 心跳 / worker heartbeat",
    )


def schedule_heartbeat(*, delay: timedelta = timedelta(0)) -> Timer:
    """Schedule a heartbeat timer `delay` from now (own transaction); see `worker_heartbeat`."""
    with transaction.atomic():
        return schedule(
            kind=HEARTBEAT_KIND,
            subject_type="kernel.worker",
            subject_id="heartbeat",
            due_at=timezone.now() + delay,
        )


def register_builtins() -> None:
    """Register the kernel's own timer kind, the timer pump and the timer queue; idempotent.

    Called by `run_worker` (and meant for `KernelConfig.ready()`).
    """
    register_timer_kind(HEARTBEAT_KIND, _heartbeat)
    register_pump(
        TIMER_PUMP,
        tick,
        interval_s=setting_float("TIMERS_PUMP_INTERVAL_S", DEFAULT_INTERVAL_S),
        next_due=seconds_until_next_due,
        batch=batch_size(),
    )
    register_queue(TIMERS)
