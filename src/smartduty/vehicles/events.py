"""Signals the vehicles app sends."""

from __future__ import annotations

from django.dispatch import Signal

import_job_created = Signal()
"""Sent with `job=<ImportJob>` inside the transaction that created the job.

`tasks.enqueue_import_job` queues the background import once that transaction commits
(services cannot import `tasks`, which sit above them).
"""

import_job_requeued = Signal()
"""Sent with `job=<ImportJob>` when the import watch found the job stalled (its worker died,
or the queue never got it) and wants it run again; queued the same way after commit."""
