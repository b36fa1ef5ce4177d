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


def make_due() -> dict[str, Any]:
    """Make every pending timer and SMS due now: time passed while no worker ran."""
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel.models import Timer, TimerStatus  # noqa: PLC0415
    from smartduty.notifications.models import Delivery  # noqa: PLC0415
    from smartduty.notifications.states import DeliveryStatus  # noqa: PLC0415

    past = timezone.now() - timedelta(seconds=1)
    timers = Timer.objects.filter(status=TimerStatus.PENDING).update(due_at=past)
    sms = Delivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=past)
    return {"timers": timers, "deliveries": sms}


def backlog(*, timers: int, messages: int, delay_s: float) -> dict[str, Any]:
    """`timers` heartbeat timers and `messages` console SMS, all due after `delay_s`."""
    for _ in range(timers):
        schedule(delay_s=delay_s)
    for _ in range(messages):
        queue_sms(delay_s=delay_s)
    return {"timers": timers, "messages": messages}


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


def queue_metrics() -> dict[str, Any]:
    """Every registered queue's figures (`kernel.health.queue_report`), by queue name."""
    from smartduty.kernel import health  # noqa: PLC0415

    return health.queue_report()


PLATE = "鲁PA12345"


def parking_setup(*, provider: str = "console") -> dict[str, Any]:
    """A test city, an officer of district A with an API token, and a registered vehicle.

    With another `provider`, district A's policy sends its SMS through that provider.
    """
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from smartduty.org import services as org  # noqa: PLC0415
    from smartduty.policy import services as policy  # noqa: PLC0415
    from tests.factories.org import make_city, make_officer  # noqa: PLC0415
    from tests.factories.parking import register_owner  # noqa: PLC0415

    city = make_city()
    officer = make_officer(city.unit_a, username="worker_officer")
    register_owner(officer, PLATE)
    if provider != "console":
        root = get_user_model().objects.create_superuser("worker_root", password="pass-1234")
        policy.update_policy(
            principal=org.principal_for_user(root),
            actor=root,
            district=city.district_a,
            # explicit window: a first edit would otherwise persist the env override (3 s)
            changes=policy.PolicyChanges(sms_provider=provider, move_window_seconds=600),
            reason="worker test",
        )
    _, token = org.issue_token(user=officer.user)
    return {"token": token}


def report_parking(*, token: str, plate: str = PLATE) -> dict[str, Any]:
    """POST /api/v1/parking-reports (photo + confirmed plate), as the officer app does."""
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    from smartduty.parking.models import ParkingReport  # noqa: PLC0415
    from tests.factories.parking import jpeg_bytes  # noqa: PLC0415

    photo = SimpleUploadedFile("scene.jpg", jpeg_bytes(), content_type="image/jpeg")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post("/api/v1/parking-reports", {"file": photo, "plate": plate})
    body = response.json()
    report = ParkingReport.objects.get(public_id=body["public_id"])
    return {
        "http_status": response.status_code,
        "public_id": body["public_id"],
        "status": body["status"],
        "deadline_at": body["deadline_at"],
        "move_window_seconds": report.move_window_seconds,
    }


def parking_state(*, public_id: str) -> dict[str, Any]:
    """One report: status, timeline actions, its timers, deliveries and console messages."""
    from smartduty.kernel.models import Timer  # noqa: PLC0415
    from smartduty.notifications.models import ConsoleMessage, Delivery  # noqa: PLC0415
    from smartduty.parking.models import ParkingReport  # noqa: PLC0415

    report = ParkingReport.objects.get(public_id=public_id)
    deliveries = Delivery.objects.filter(subject_type="parking.report", subject_id=str(report.pk))
    keys = [str(d.public_id) for d in deliveries]
    return {
        "status": report.status,
        "actions": [t.action for t in report.transitions.order_by("at", "id")],
        "timers": [
            {
                "kind": t.kind,
                "status": t.status,
                "attempts": t.attempts,
                "due_at": t.due_at.isoformat(),
                "lateness_ms": t.lateness_ms,
            }
            for t in Timer.objects.filter(subject_type="parking.report", subject_id=str(report.pk))
        ],
        "deliveries": [
            {
                "public_id": str(d.public_id),
                "channel": d.channel,
                "status": d.status,
                "attempts": d.attempts,
            }
            for d in deliveries.order_by("id")
        ],
        "console": [
            {"key": m.idempotency_key, "channel": m.channel}
            for m in ConsoleMessage.objects.filter(idempotency_key__in=keys).order_by("id")
        ],
    }


def seed_encrypted(*, count: int) -> dict[str, Any]:
    """`count` vehicles and `count` queued SMS, encrypted under the process's field key."""
    from django.db import transaction  # noqa: PLC0415

    from smartduty.notifications import services  # noqa: PLC0415
    from smartduty.vehicles import services as vehicles  # noqa: PLC0415
    from tests.factories.notifications import MOVE_PARAMS, SIGNATURE  # noqa: PLC0415
    from tests.factories.org import make_city  # noqa: PLC0415

    city = make_city()
    for i in range(count):
        vehicles.register_vehicle(
            district=city.district_a,
            plate=f"鲁P{i:05d}",
            owner_name="张三",
            owner_phone=f"139{i:08d}",
            plate_color=None,
        )
        with transaction.atomic():
            services.request(
                channel="sms",
                address=f"138{i:08d}",
                template_code="SD_MOVE_001",
                params=MOVE_PARAMS,
                signature=SIGNATURE,
                subject_type="tests.worker",
                subject_id=str(i),
                provider="console",
            )
    return {"count": count}


def encrypted_state() -> dict[str, Any]:
    """Every stored owner phone and SMS address: decrypted (or the error) and whether it is
    under the process's current field key."""
    from smartduty.kernel.crypto import decrypt_text, is_current  # noqa: PLC0415
    from smartduty.notifications.models import Delivery  # noqa: PLC0415
    from smartduty.vehicles.models import Vehicle  # noqa: PLC0415

    stored = [
        *Vehicle.objects.order_by("pk").values_list("owner_phone_encrypted", flat=True),
        *Delivery.objects.order_by("pk").values_list("recipient_encrypted", flat=True),
    ]
    rows = []
    for value in stored:
        try:
            plain = decrypt_text(value)
        except ValueError as exc:
            plain = f"error: {exc}"
        rows.append({"plain": plain, "current": is_current(value)})
    return {"rows": rows}


OPS = {
    "queue_sms": queue_sms,
    "schedule": schedule,
    "make_due": make_due,
    "backlog": backlog,
    "enqueue_task": enqueue_task,
    "state": state,
    "queue_metrics": queue_metrics,
    "parking_setup": parking_setup,
    "report_parking": report_parking,
    "parking_state": parking_state,
    "seed_encrypted": seed_encrypted,
    "encrypted_state": encrypted_state,
}

if __name__ == "__main__":
    django.setup()
    kwargs = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    sys.stdout.write(json.dumps(OPS[sys.argv[1]](**kwargs)) + "\n")
