"""Durable queues: the one claim, lease, retry and dead-letter mechanism of the worker.

A queue is a table of work items that carry a `status`, an `attempts` count, a `last_error`
and a due time. Two tables are queues: `kernel.Timer` (deadlines, `kernel.timers`) and
`notifications.Delivery` (the outbox). Each describes itself with a `Queue` and registers it
with `register_queue()` (the kernel knows no app), so every deadline of parking, cases,
shops or duty, and every message, gets the same guarantees from the code below.

**Claiming** (`Queue.claim`). A plain indexed read first asks whether anything is due, so an
idle worker never takes SQLite's write lock. Only then a transaction locks up to `limit`
items with `select_for_update(skip_locked=True, of=("self",))`, expired leases first, then
pending items, each ordered by its partial index's key alone: a plain index scan that stops
at `limit` whatever the planner's statistics say about a fresh backlog. PostgreSQL: several
workers share the table, each skipping the rows another one holds. SQLite: `select_for_update`
is a no-op, but `transaction_mode=IMMEDIATE` takes the write lock at `BEGIN`, so claims are
serialised. Same code on both.

**Holding** an item, two ways:

- *Transactional* (no `Lease`; timers): the work runs inside the claiming transaction, which
  commits the work and the item's new status together. A crash rolls both back and the item
  stays pending: exactly once. A try counts as an attempt when it fails.
- *Leased* (outbox): the claim sets the lease status with `lease_until = now + lease`, counts
  the attempt and commits; the work runs outside any transaction (a network call) and its
  outcome is recorded in another short transaction, only while the lease is still ours
  (`Queue.holds_lease`). A worker that dies mid-work leaves an expired lease that the next
  claim takes back (`on_reclaim` lets the app close its bookkeeping): at least once, made
  exactly once by an idempotency key the provider deduplicates on. An item whose worker died
  on each of its `max_attempts` tries is dead-lettered instead of being tried again.

**Failing** (`Queue.fail`): `last_error` (truncated to `ERROR_MAX_CHARS`), then either a retry
at `now + RetryPolicy.backoff(attempts)` or, after `max_attempts` tries or for a permanent
error, the `failed` status (the dead letter) and the queue's signal, sent in a savepoint
(`send_safely`): a receiver that raises is logged and cannot undo the failure. Log lines wait
for the commit, so a killed worker never logs what the database does not say.

**Metrics** (`queue_metrics`): per registered queue, items pending, due now, leased, with an
expired lease, dead-lettered, and how late the most overdue one is; `kernel.health` reports
them.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from smartduty.kernel.registry import Registry

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 2000
"""`last_error` keeps at most this many characters."""

M = TypeVar("M", bound=models.Model)


class _Item(Protocol):
    """The columns every queue table has."""

    status: str
    attempts: int
    last_error: str


def setting_int(name: str, default: int, *, minimum: int = 1) -> int:
    """An integer setting (`settings.<name>`, else `default`), at least `minimum`."""
    return max(minimum, int(getattr(settings, name, default)))


def setting_float(name: str, default: float) -> float:
    """A float setting (`settings.<name>`, else `default`)."""
    return float(getattr(settings, name, default))


def send_safely(signal: Signal, *, sender: type[models.Model], **kwargs: object) -> None:
    """Send `signal` in a savepoint: a receiver that raises is logged and its writes undone;
    the caller's own writes (a status just saved) stay."""
    try:
        with transaction.atomic():
            signal.send(sender=sender, **kwargs)
    except Exception:  # a receiver's bug must not undo what the queue recorded
        logger.exception(
            "a %s receiver raised; the %s keeps its status",
            sender._meta.label,
            ", ".join(kwargs) or "row",
        )


def log_on_commit(level: int, msg: str, *args: object, to: logging.Logger = logger) -> None:
    """Log once the current transaction commits (at once outside one), so a worker killed
    before the commit never claims in its log what the database does not say."""
    transaction.on_commit(lambda: to.log(level, msg, *args))


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off `base_seconds · 2^(attempts-1)`, at most `cap_seconds`; give up after
    `max_attempts` tries."""

    base_seconds: int
    cap_seconds: int
    max_attempts: int

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the next try after `attempts` tries (0 counts as 1).

        With base 10 s and cap 600 s: 1 → 10 s, 2 → 20 s, 3 → 40 s … 7 → 600 s.
        """
        exponent = max(attempts, 1) - 1
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.cap_seconds))

    def gives_up(self, attempts: int) -> bool:
        """Is an item that has had `attempts` tries dead-lettered rather than retried?"""
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Lease:
    """How a leased queue holds an item while it works outside a transaction.

    `status` marks a leased item and `field` holds when the lease ends; the lease lasts
    `settings.<setting>` seconds (else `default_seconds`). `abandoned_error` is the
    `last_error` of an item dead-lettered because its worker died on every try.
    """

    status: str
    field: str
    setting: str
    default_seconds: int
    abandoned_error: str = "多次处理中断，已放弃"


class Failure(enum.Enum):
    """What `Queue.fail` did with an item."""

    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class QueueMetrics:
    """One queue's figures at a moment; `leased` and `expired` are None for a transactional
    queue (its items in work are invisible inside the worker's transaction)."""

    queue: str
    pending: int
    due: int
    leased: int | None
    expired: int | None
    failed: int
    oldest_due_s: float
    """How late the most overdue item is, in seconds (0.0 when none is due)."""

    def as_dict(self) -> dict[str, int | float | None]:
        """JSON-ready figures (without the queue's name)."""
        figures = asdict(self)
        del figures["queue"]
        return cast("dict[str, int | float | None]", figures)


@dataclass(frozen=True)
class Queue(Generic[M]):
    """A table of work items and how the worker claims, holds, retries and buries them.

    `due_field` is the pending items' due time, the key of a partial index on
    `status = pending` (and `lease.field` that of one on the lease status). The model's name
    (`timer`, `delivery`) names an item in log lines and is the keyword its `dead_letter`
    signal sends it under; `describe` gives the rest of a log line (`kind=… id=…`).
    `pending`, `failed` and the lease status must be values of the model's `status` choices.
    """

    name: str
    model: type[M]
    describe: Callable[[M], str]
    due_field: str
    retry: RetryPolicy
    batch_setting: str
    batch_default: int
    dead_letter: Signal | None = None
    lease: Lease | None = None
    on_reclaim: Callable[[M, datetime], None] | None = None
    pending: str = "pending"
    failed: str = "failed"

    def __post_init__(self) -> None:
        """Refuse statuses the table does not have (a typo would claim nothing, silently)."""
        field = self.model._meta.get_field("status")
        choices = {value for value, _label in getattr(field, "choices", None) or ()}
        wanted = {self.pending, self.failed} | ({self.lease.status} if self.lease else set())
        if not wanted <= choices:
            raise ImproperlyConfigured(
                f"queue {self.name}: {self.model._meta.label}.status has no "
                f"{', '.join(sorted(wanted - choices))}"
            )

    @property
    def item(self) -> str:
        """What one item is called in log lines and signals (`timer`, `delivery`)."""
        return str(self.model._meta.model_name)

    # -- settings ------------------------------------------------------------------------

    def batch_size(self) -> int:
        """Items claimed per transaction (`settings.<batch_setting>`, else `batch_default`)."""
        return setting_int(self.batch_setting, self.batch_default)

    def lease_duration(self) -> timedelta:
        """How long a claim holds an item (leased queues only)."""
        lease = self._lease()
        return timedelta(seconds=setting_int(lease.setting, lease.default_seconds, minimum=0))

    # -- reads ---------------------------------------------------------------------------

    def _rows(self) -> models.QuerySet[M]:
        return self.model._default_manager.all()

    def due(self, moment: datetime) -> models.QuerySet[M]:
        """Pending items due at `moment`."""
        return self._rows().filter(status=self.pending, **{f"{self.due_field}__lte": moment})

    def expired(self, moment: datetime) -> models.QuerySet[M]:
        """Leased items whose lease ended by `moment` (none for a transactional queue)."""
        if self.lease is None:
            return self._rows().none()
        return self._rows().filter(status=self.lease.status, **{f"{self.lease.field}__lte": moment})

    def has_due(self, moment: datetime) -> bool:
        """Is anything to be claimed at `moment`? Indexed reads, no lock."""
        return self.due(moment).exists() or (
            self.lease is not None and self.expired(moment).exists()
        )

    def _earliest(self, rows: models.QuerySet[M], field: str) -> datetime | None:
        return cast("datetime | None", rows.order_by(field).values_list(field, flat=True).first())

    def next_due_in(self, moment: datetime) -> float | None:
        """Seconds from `moment` until the next item is due (≤ 0: due now); None when
        nothing is pending or leased."""
        times = [self._earliest(self._rows().filter(status=self.pending), self.due_field)]
        if self.lease is not None:
            leased = self._rows().filter(status=self.lease.status)
            times.append(self._earliest(leased, self.lease.field))
        known = [at for at in times if at is not None]
        return (min(known) - moment).total_seconds() if known else None

    def metrics(self, moment: datetime | None = None) -> QueueMetrics:
        """Counts and lateness at `moment` (default now); a few indexed reads and a count
        of dead-lettered items."""
        moment = moment or timezone.now()
        leased = expired = None
        oldest = [self._earliest(self.due(moment), self.due_field)]
        if self.lease is not None:
            leased = self._rows().filter(status=self.lease.status).count()
            expired = self.expired(moment).count()
            oldest.append(self._earliest(self.expired(moment), self.lease.field))
        overdue = [at for at in oldest if at is not None]
        return QueueMetrics(
            queue=self.name,
            pending=self._rows().filter(status=self.pending).count(),
            due=self.due(moment).count(),
            leased=leased,
            expired=expired,
            failed=self._rows().filter(status=self.failed).count(),
            oldest_due_s=(moment - min(overdue)).total_seconds() if overdue else 0.0,
        )

    # -- claiming ------------------------------------------------------------------------

    def lock_due(self, moment: datetime, limit: int) -> list[tuple[M, bool]]:
        """Up to `limit` items to claim, locked: expired leases first, then pending items,
        each paired with whether it is a reclaimed lease. Call inside a transaction."""
        rows = self._rows().select_for_update(skip_locked=True, of=("self",))
        expired: list[M] = []
        if self.lease is not None:
            expired = list(
                rows.filter(
                    status=self.lease.status, **{f"{self.lease.field}__lte": moment}
                ).order_by(self.lease.field)[:limit]
            )
        due: list[M] = []
        if len(expired) < limit:
            due = list(
                rows.filter(status=self.pending, **{f"{self.due_field}__lte": moment}).order_by(
                    self.due_field
                )[: limit - len(expired)]
            )
        return [(row, True) for row in expired] + [(row, False) for row in due]

    @contextmanager
    def claim(self, moment: datetime, limit: int) -> Iterator[list[M]]:
        """Claim up to `limit` items due at `moment`, most overdue first; [] when none is.

        The block runs inside the claiming transaction, which commits when it ends. A
        transactional queue does its work in the block (a crash rolls it back with the
        claim); a leased queue gets its items already leased, records what it needs (the
        outbox: an attempt row) and sends after the block. Expired leases are reclaimed
        first; those out of attempts are dead-lettered and never reach the block.
        """
        if not self.has_due(moment):  # a plain read: no write lock (SQLite) when idle
            yield []
            return
        with transaction.atomic():
            yield self._take(moment, limit)

    def _take(self, moment: datetime, limit: int) -> list[M]:
        while True:
            locked = self.lock_due(moment, limit)
            taken: list[M] = []
            for row, reclaimed in locked:
                if reclaimed and not self._reclaim(row, moment):
                    continue
                if self.lease is not None:
                    self._take_lease(row, moment)
                taken.append(row)
            if taken or not locked:
                return taken
            # every item locked was dead-lettered: look again

    def _reclaim(self, row: M, moment: datetime) -> bool:
        """Take back an expired lease; False if the item is dead-lettered instead."""
        item = cast(_Item, row)
        logger.warning(
            "%s lease expired %s attempts=%s: its worker stopped mid-run; reclaiming",
            self.item,
            self.describe(row),
            item.attempts,
        )
        if self.on_reclaim is not None:
            self.on_reclaim(row, moment)
        if self.retry.gives_up(item.attempts):
            self.fail(row, self._lease().abandoned_error, moment, retryable=False)
            return False
        return True

    def _take_lease(self, row: M, moment: datetime) -> None:
        lease = self._lease()
        item = cast(_Item, row)
        item.status = lease.status
        item.attempts += 1
        setattr(row, lease.field, moment + self.lease_duration())
        row.save(update_fields=["status", "attempts", lease.field])

    def holds_lease(self, row: M) -> M | None:
        """The item re-read and locked if the lease taken on `row` still holds (no other
        worker reclaimed it since), else None. Call inside the recording transaction."""
        lease = self._lease()
        current = self._rows().select_for_update(of=("self",)).get(pk=row.pk)
        mine, now = cast(_Item, row), cast(_Item, current)
        if now.status == lease.status and now.attempts == mine.attempts:
            return current
        logger.warning(
            "%s lease lost %s; another worker took it over", self.item, self.describe(current)
        )
        return None

    def _lease(self) -> Lease:
        if self.lease is None:
            raise TypeError(f"queue {self.name} holds its items in a transaction, not a lease")
        return self.lease

    # -- failing -------------------------------------------------------------------------

    def fail(self, row: M, error: str, moment: datetime, *, retryable: bool = True) -> Failure:
        """Record a failed try of `row` (locked, in the caller's transaction).

        A transactional queue counts the try here (a leased one counted it at claim). A
        retryable failure with tries left goes back to pending at `moment + backoff`;
        otherwise the item is dead-lettered (`failed`) and the queue's signal is sent.
        """
        item = cast(_Item, row)
        if self.lease is None:
            item.attempts += 1
        item.last_error = error[:ERROR_MAX_CHARS]
        fields = ["status", "attempts", "last_error"]
        if self.lease is not None:
            setattr(row, self.lease.field, None)
            fields.append(self.lease.field)
        if retryable and not self.retry.gives_up(item.attempts):
            item.status = self.pending
            retry_at = moment + self.retry.backoff(item.attempts)
            setattr(row, self.due_field, retry_at)
            row.save(update_fields=[*fields, self.due_field])
            log_on_commit(
                logging.WARNING,
                "%s retry %s attempts=%s retry_at=%s error=%s",
                self.item,
                self.describe(row),
                item.attempts,
                retry_at.isoformat(),
                item.last_error,
            )
            return Failure.RETRY
        item.status = self.failed
        row.save(update_fields=fields)
        log_on_commit(
            logging.ERROR,
            "%s gave up %s attempts=%s error=%s",
            self.item,
            self.describe(row),
            item.attempts,
            item.last_error,
        )
        if self.dead_letter is not None:
            send_safely(self.dead_letter, sender=self.model, **{self.item: row})
        return Failure.DEAD


_QUEUES: Registry[Queue[Any]] = Registry("queue")


def register_queue(queue: Queue[Any]) -> None:
    """Register a queue for `queue_metrics`; from `AppConfig.ready()` (idempotent)."""
    _QUEUES.register(queue.name, queue)


def registered_queues() -> list[Queue[Any]]:
    """Every registered queue, in name order."""
    return _QUEUES.values()


def queue_metrics(now: datetime | None = None) -> list[QueueMetrics]:
    """The figures of every registered queue at `now` (default: the clock), in name order."""
    moment = now or timezone.now()
    return [queue.metrics(moment) for queue in registered_queues()]
