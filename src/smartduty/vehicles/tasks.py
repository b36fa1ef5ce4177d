"""Background jobs of the vehicles app: thin entry points that take ids and call services."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django_tasks import task

from smartduty.vehicles import selectors, services
from smartduty.vehicles.models import ImportJob


@task(queue_name="default")
def import_vehicles(job_id: int) -> None:
    """Import the spreadsheet of an `ImportJob` (idempotent; a missing job is a no-op)."""
    job = selectors.find_import_job(job_id=job_id)
    if job is not None:
        services.import_vehicles(job=job)


def enqueue_import_job(sender: Any, *, job: ImportJob, **kwargs: Any) -> None:  # noqa: ARG001 - signal signature
    """Receiver of `events.import_job_created`: queue the import once the job's transaction
    commits (connected in `VehiclesConfig.ready()`; services cannot import this module)."""
    transaction.on_commit(partial(import_vehicles.enqueue, job.pk), robust=True)
