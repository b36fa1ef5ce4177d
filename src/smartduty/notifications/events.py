"""Signals the notifications app sends. Other apps connect receivers in their `ready()`."""

from django.dispatch import Signal

delivery_sent = Signal()
"""A provider accepted a message. Sent with `delivery` (status `sent`) in the transaction that
recorded it, inside a savepoint: a receiver that raises is logged, the delivery stays sent."""

delivery_failed = Signal()
"""A message will not be sent (permanent error or attempts exhausted). Sent with `delivery`
(status `failed`), like `delivery_sent`. The caller decides the fallback (e.g. post a notice)."""

delivery_delivered = Signal()
"""The vendor reported that a `sent` message reached the handset (短信已送达). Sent with
`delivery` (its receipt fields set) in the transaction that recorded the report, inside a
savepoint, once per delivery: a repeated or later report sends nothing."""

delivery_undelivered = Signal()
"""The vendor reported that a `sent` message did not reach the handset (短信未送达). Sent with
`delivery` (`receipt_code` / `receipt_description` say why), like `delivery_delivered`. The
caller decides the fallback (e.g. tell the officer to post the notice at once)."""
