"""Fixed-window rate limits shared by every web process and thread (ADR 0009).

`hit(key, rate)` counts one attempt of `key` (say `write:u:42`) in the current window of
`rate` and says whether it is allowed; `enforce(...)` raises `TooManyAttempts` (429, with
`Retry-After`) instead. The counters are `RateBucket` rows changed only by single atomic
`UPDATE` statements (`count = count + 1 WHERE count < limit`), which both SQLite (one writer
at a time) and PostgreSQL (row lock) apply one after the other, so two gunicorn processes
never both take the last slot. The usual hit costs one `UPDATE` of one row by primary key.

A fixed window lets a client use up to twice the limit across a window boundary; that is
accepted for abuse protection (the numbers are generous for real use).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import F

from smartduty.kernel.errors import TooManyAttempts
from smartduty.kernel.models import RateBucket

MAX_KEY: Final = 120
STALE_AFTER_S: Final = 3600
"""Rows whose window ended more than this long ago are deleted (now and then, see `_prune`)."""
PRUNE_EVERY: Final = 200
"""Every this many new rows in a process, the stale rows are deleted."""

_created = itertools.count(1)


@dataclass(frozen=True)
class Rate:
    """At most `limit` hits per `period_s` seconds; a `limit` of 0 means no limit."""

    limit: int
    period_s: int

    @property
    def unlimited(self) -> bool:
        """True when this rate never refuses (limit 0)."""
        return self.limit <= 0


@dataclass(frozen=True)
class Decision:
    """The answer for one hit."""

    allowed: bool
    retry_after: int
    """Seconds until the window ends (when a refused client may try again)."""


def _window_end(now: float, period_s: int) -> int:
    return (int(now) // period_s + 1) * period_s


def hit(key: str, rate: Rate, *, now: float | None = None) -> Decision:
    """Count one hit of `key` against `rate`; refused hits are not counted."""
    if rate.unlimited:
        return Decision(allowed=True, retry_after=0)
    now = time.time() if now is None else now
    end = _window_end(now, rate.period_s)
    allowed = _count(key[:MAX_KEY], rate.limit, end, now)
    return Decision(allowed=allowed, retry_after=max(1, int(end - now + 0.999)))


def _count(key: str, limit: int, end: int, now: float) -> bool:
    current = RateBucket.objects.filter(key=key, window_end=end, count__lt=limit)
    if current.update(count=F("count") + 1):  # the usual case: one UPDATE by primary key
        return True
    row = RateBucket.objects.filter(key=key).values_list("window_end", "count").first()
    if row is not None and row[0] == end and row[1] >= limit:
        return False
    if row is None:
        try:
            with transaction.atomic():
                RateBucket.objects.create(key=key, window_end=end, count=1)
        except IntegrityError:
            pass  # another process created it a moment ago: count in that row below
        else:
            _prune(now)
            return True
    elif row[0] != end and _restart(key, row[0], end):
        return True
    # someone else moved the row on between our statements: one more try in its window
    return bool(current.update(count=F("count") + 1))


def _restart(key: str, old_end: int, end: int) -> bool:
    """A window that has ended (or a rate whose period changed) starts anew; the `old_end`
    condition makes exactly one of several racing requests do it."""
    return bool(
        RateBucket.objects.filter(key=key, window_end=old_end).update(window_end=end, count=1)
    )


def enforce(key: str, rate: Rate, *, message: str | None = None) -> None:
    """`hit`, raising `TooManyAttempts` (429 + `Retry-After`) when the hit is refused."""
    decision = hit(key, rate)
    if not decision.allowed:
        raise TooManyAttempts(
            message or f"操作过于频繁，请 {decision.retry_after} 秒后再试",
            retry_after=decision.retry_after,
        )


def reset(key: str) -> None:
    """Forget the counter of `key` (tests, an operator lifting a block)."""
    RateBucket.objects.filter(key=key[:MAX_KEY]).delete()


def _prune(now: float) -> None:
    if next(_created) % PRUNE_EVERY == 0:
        RateBucket.objects.filter(window_end__lt=int(now) - STALE_AFTER_S).delete()
