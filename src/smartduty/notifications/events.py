"""Signals the notifications app sends. Other apps connect receivers in their `ready()`."""

from django.dispatch import Signal

delivery_sent = Signal()
"""A provider accepted a message. Sent with `delivery` (status `sent`) in the transaction that
recorded it, inside a savepoint: a receiver that raises is logged, the delivery stays sent."""

delivery_failed = Signal()
"""A message will not be sent (permanent error or attempts exhausted). Sent with `delivery`
(status `failed`), like `delivery_sent`. The caller decides the fallback (e.g. post a notice)."""
