"""Named registries that apps fill in their `AppConfig.ready()`.

The kernel knows no app, so apps tell it what they have: timer kinds (`kernel.timers`),
pumps (below), durable queues for the metrics (`kernel.queue.register_queue`) and, in
`notifications`, senders. A `Registry` is a small name → value map that
refuses to silently replace an entry: registering the same value again is a no-op (so a
second `ready()` is harmless), registering a different value under a taken name is a
configuration error.

Pumps are the named loops that `manage.py run_worker` runs, one thread each: a pump's
`tick` does a bounded amount of work and returns how many units it did (True counts as one),
or 0/False when there is nothing due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

_T = TypeVar("_T")


class Registry(Generic[_T]):
    """A name → value map for things apps register at start-up."""

    def __init__(self, what: str) -> None:
        """`what` names the entries in error messages ("timer kind", "pump")."""
        self.what = what
        self._entries: dict[str, _T] = {}

    def register(self, name: str, value: _T) -> None:
        """Add an entry; the same value again is a no-op, another value is an error."""
        if not name:
            raise ImproperlyConfigured(f"a {self.what} needs a name")
        current = self._entries.get(name)
        if current is not None and current != value:
            raise ImproperlyConfigured(f"{self.what} {name!r} is already registered")
        self._entries[name] = value

    def get(self, name: str) -> _T:
        """The entry, or `LookupError` naming what is missing."""
        try:
            return self._entries[name]
        except KeyError:
            raise LookupError(f"no {self.what} registered as {name!r}") from None

    def find(self, name: str) -> _T | None:
        """The entry, or None."""
        return self._entries.get(name)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)

    def values(self) -> list[_T]:
        """Registered values, in name order."""
        return [self._entries[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    @contextmanager
    def override(self, name: str, value: _T) -> Iterator[None]:
        """Replace (or add) one entry for the duration of a block; for tests."""
        missing = object()
        previous = self._entries.get(name, missing)
        self._entries[name] = value
        try:
            yield
        finally:
            if previous is missing:
                del self._entries[name]
            else:
                self._entries[name] = previous  # type: ignore[assignment]  # it was a _T


@dataclass(frozen=True)
class PumpSpec:
    """A named loop run by the worker: call `tick` until it returns 0/False, wait, repeat.

    `next_due`, when given, tells the loop how many seconds remain until the pump's next
    known work (None: nothing scheduled); the idle wait is then cut short to that moment, so
    work scheduled ahead runs on time while `interval_s` stays the longest idle wait.
    `batch`, when given, is the number of units a tick does while more work is waiting: a
    tick doing fewer has caught up, and the drain ends there instead of chasing each item
    that comes due meanwhile (which would cost one transaction per item under a steady flow).
    """

    name: str
    tick: Callable[[], int]
    interval_s: float = 1.0
    next_due: Callable[[], float | None] | None = None
    batch: int | None = None


PUMPS: Registry[PumpSpec] = Registry("pump")


def register_pump(
    name: str,
    tick_fn: Callable[[], int],
    interval_s: float = 1.0,
    *,
    next_due: Callable[[], float | None] | None = None,
    batch: int | None = None,
) -> None:
    """Register a pump; call from `AppConfig.ready()`.

    `tick_fn` does a bounded amount of work in its own short transaction(s) and returns how
    many units it did (a bool is fine: True counts as one); it must not sleep. `interval_s`
    is the longest idle wait between drains; `next_due` (seconds until the next known work,
    or None) lets the loop wake earlier and `batch` lets a drain end on a partial tick, see
    `PumpSpec`.
    """
    if interval_s <= 0:
        raise ImproperlyConfigured(f"pump {name!r}: interval_s must be positive")
    PUMPS.register(
        name,
        PumpSpec(name=name, tick=tick_fn, interval_s=interval_s, next_due=next_due, batch=batch),
    )


def registered_pumps() -> list[PumpSpec]:
    """Every registered pump, in name order."""
    return PUMPS.values()
