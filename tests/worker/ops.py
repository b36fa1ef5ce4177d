"""Run one operation against the worker's database, in a subprocess, and print JSON.

`python -m tests.worker.ops <op> '<json kwargs>'` with the same environment as the worker
(DATABASE_URL, SMARTDUTY_VAR_DIR, DJANGO_SETTINGS_MODULE). The worker tests use it to create
rows and read the outcome, on SQLite files and on PostgreSQL test databases alike.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

import django


def queue_sms(*, provider: str = "console", delay_s: float = 0.0, key: str = "") -> dict[str, Any]:
    """Queue a move-car SMS, due after `delay_s`."""
    from django.db import transaction  # noqa: PLC0415 - after django.setup()
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.notifications import services  # noqa: PLC0415
    from tests.factories.notifications import MOVE_PARAMS, PHONE, SIGNATURE  # noqa: PLC0415

    with transaction.atomic():
        delivery = services.request(
            channel="sms",
            address=PHONE,
            template_code="SD_MOVE_001",
            params=MOVE_PARAMS,
            signature=SIGNATURE,
            subject_type="tests.worker",
            subject_id="1",
            dedupe_key=key or None,
            provider=provider,
            not_before=timezone.now() + timedelta(seconds=delay_s),
        )
    return {"public_id": str(delivery.public_id)}


def schedule(*, kind: str = "kernel.heartbeat", delay_s: float = 0.0) -> dict[str, Any]:
    """Schedule a timer of `kind`, due after `delay_s`."""
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel import timers  # noqa: PLC0415

    timers.register_builtins()
    with transaction.atomic():
        timer = timers.schedule(
            kind=kind,
            subject_type="tests.worker",
            subject_id="1",
            due_at=timezone.now() + timedelta(seconds=delay_s),
        )
    return {"id": timer.pk, "due_at": timer.due_at.isoformat()}


def enqueue_task(*, label: str) -> dict[str, Any]:
    """Enqueue `tests.worker.jobs.record_audit` on the database task backend."""
    from tests.worker.jobs import record_audit  # noqa: PLC0415

    return {"id": str(record_audit.enqueue(label=label).id)}


def state() -> dict[str, Any]:
    """Timers, deliveries, attempts, console messages and heartbeat/fault audit rows."""
    from smartduty.kernel.models import AuditEntry, Timer  # noqa: PLC0415
    from smartduty.notifications.models import ConsoleMessage, Delivery  # noqa: PLC0415

    return {
        "timers": [
            {
                "id": t.pk,
                "kind": t.kind,
                "status": t.status,
                "attempts": t.attempts,
                "fired": t.fired_at is not None,
                "lateness_ms": t.lateness_ms,
            }
            for t in Timer.objects.order_by("id")
        ],
        "deliveries": [
            {
                "public_id": str(d.public_id),
                "status": d.status,
                "attempts": d.attempts,
                "outcomes": [a.outcome for a in d.attempt_log.order_by("id")],
            }
            for d in Delivery.objects.order_by("id")
        ],
        "console": [m.idempotency_key for m in ConsoleMessage.objects.order_by("id")],
        "audits": [
            [a.action, a.object_id] for a in AuditEntry.objects.order_by("id") if "." in a.action
        ],
    }


OPS = {"queue_sms": queue_sms, "schedule": schedule, "enqueue_task": enqueue_task, "state": state}

if __name__ == "__main__":
    django.setup()
    kwargs = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    sys.stdout.write(json.dumps(OPS[sys.argv[1]](**kwargs)) + "\n")
