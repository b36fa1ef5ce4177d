"""Signals the vehicles app sends."""

from __future__ import annotations

from django.dispatch import Signal

import_job_created = Signal()
"""Sent with `job=<ImportJob>` inside the transaction that created the job.

`tasks.enqueue_import_job` queues the background import once that transaction commits
(services cannot import `tasks`, which sit above them).
"""
