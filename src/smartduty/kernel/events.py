"""Signals the kernel sends. Apps connect receivers in their `AppConfig.ready()`."""

from django.dispatch import Signal

timer_failed = Signal()
"""A timer gave up after `kernel.timers.MAX_ATTEMPTS` failed runs; operators must look.

Sent with `timer` (the `kernel.Timer`, status `failed`), inside the pump's transaction (in a
savepoint: a receiver that raises is logged and does not undo the failure).
"""
