"""A django-tasks job for the worker tests: proves db_worker runs in run_worker's main thread."""

from __future__ import annotations

from django_tasks import task


@task()
def record_audit(label: str) -> None:
    """Write one audit row named after `label`."""
    from smartduty.kernel import audit  # noqa: PLC0415 - imported when the job runs

    audit.record(actor=None, action="tests.task", object_id=label)
