"""The soak's child operations (`python -m bench.soak child <op> '<json>'`): Django is set
up in the child process, which prepares accounts and photos, reports the worker's backlog and
audits what the database holds after the load."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any


def _prepare(*, officers: int, screens: int) -> dict[str, Any]:
    """`officers` 队员 accounts (tokens only, no password) in the demo's two squads, and
    `screens` bearer tokens of the demo command-centre user."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 - children only

    from smartduty.org.models import Officer  # noqa: PLC0415
    from smartduty.org.services import create_officer, issue_token  # noqa: PLC0415
    from smartduty.org.states import Role  # noqa: PLC0415

    units = [
        Officer.objects.get(user__username=name).unit for name in ("dong_officer", "xi_officer")
    ]
    tokens = []
    for index in range(officers):
        officer = create_officer(
            username=f"soak_officer_{index:04d}",
            password=None,  # type: ignore[arg-type]  # unusable password: bearer tokens only
            name=f"压测队员{index}",
            badge_number=f"SK{index:05d}",
            unit=units[index % len(units)],
            roles=[Role.OFFICER],
        )
        tokens.append(issue_token(user=officer.user, name="soak")[1])
    commander = get_user_model().objects.get(username="zhihui")
    screen_tokens = [issue_token(user=commander, name="soak-screen")[1] for _ in range(screens)]
    return {"officers": tokens, "screens": screen_tokens}


def _photos(*, plates: list[str], directory: str) -> dict[str, Any]:
    """Two real JPEGs per plate (the scene, and the re-check a few minutes later), drawn by
    `manage.py demo_photo`'s generator (1280×960, quality 90)."""
    from PIL import ImageDraw  # noqa: PLC0415

    from smartduty.demo.management.commands.demo_photo import draw_scene  # noqa: PLC0415

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for index, plate in enumerate(plates):
        for second in (0, 1):
            image = draw_scene(plate)
            if second:  # the same car later: a pedestrian passed, the light changed
                ImageDraw.Draw(image).rectangle((40, 40, 140, 300), fill=(60, 60, 90))
            path = out / f"{index}-{second}.jpg"
            image.save(path, "JPEG", quality=90)
            total += path.stat().st_size
    return {"count": 2 * len(plates), "mean_kb": total / max(1, 2 * len(plates)) / 1024}


def _backlog() -> dict[str, Any]:
    """Work the worker still has to do now: open deliveries, due pending timers."""
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel.models import Timer  # noqa: PLC0415
    from smartduty.notifications.models import Delivery  # noqa: PLC0415

    return {
        "deliveries": Delivery.objects.filter(status__in=["pending", "sending"]).count(),
        "timers": Timer.objects.filter(status="pending", due_at__lte=timezone.now()).count(),
    }


def _audit(*, keys: list[str]) -> dict[str, Any]:
    """What the database holds for the cases with these idempotency keys."""
    from django.db.models import Count  # noqa: PLC0415

    from smartduty.kernel.models import Timer  # noqa: PLC0415
    from smartduty.notifications.models import (  # noqa: PLC0415
        ConsoleMessage,
        Delivery,
        DeliveryAttempt,
    )
    from smartduty.parking.models import ParkingNotice, ParkingReport  # noqa: PLC0415
    from smartduty.parking.services import MOVE_DEADLINE  # noqa: PLC0415
    from smartduty.parking.states import SUBJECT  # noqa: PLC0415

    reports = list(
        ParkingReport.objects.filter(idempotency_key__in=keys).values(
            "pk", "idempotency_key", "status", "owner_notified_at"
        )
    )
    by_pk = {str(r["pk"]): r for r in reports}
    key_counts = Counter(r["idempotency_key"] for r in reports)
    deliveries = list(
        Delivery.objects.filter(subject_type=SUBJECT, subject_id__in=list(by_pk)).values(
            "pk", "public_id", "channel", "subject_id", "status", "template_code", "dedupe_key"
        )
    )
    sms = [d for d in deliveries if d["channel"] == "sms"]
    push = [d for d in deliveries if d["channel"] == "app_push"]
    sms_per_report = Counter(d["subject_id"] for d in sms)
    push_per_report = Counter(d["subject_id"] for d in push)
    console = dict(
        ConsoleMessage.objects.filter(
            idempotency_key__in=[str(d["public_id"]) for d in deliveries]
        ).values_list("idempotency_key", "created_at")
    )
    sent_attempts = Counter(
        DeliveryAttempt.objects.filter(
            delivery_id__in=[d["pk"] for d in deliveries], outcome="sent"
        ).values_list("delivery_id", flat=True)
    )
    attempt_outcomes = dict(
        DeliveryAttempt.objects.filter(delivery_id__in=[d["pk"] for d in deliveries])
        .values_list("outcome")
        .annotate(n=Count("id"))
    )
    timers = list(
        Timer.objects.filter(kind=MOVE_DEADLINE, subject_id__in=list(by_pk)).values(
            "subject_id", "status", "due_at", "fired_at"
        )
    )
    timer_per_report = Counter(t["subject_id"] for t in timers)
    sms_at = {}
    for d in sms:
        at = console.get(str(d["public_id"]))
        if at is not None:
            sms_at[by_pk[d["subject_id"]]["idempotency_key"]] = at.timestamp()
    notified = [pk for pk, r in by_pk.items() if r["owner_notified_at"] is not None]
    return {
        "reports": len(reports),
        "reports_total_in_db": ParkingReport.objects.count(),
        "keys_with_two_reports": sum(1 for n in key_counts.values() if n > 1),
        "statuses": dict(Counter(r["status"] for r in reports)),
        "sms_due": len(notified),
        "sms_deliveries": len(sms),
        "sms_statuses": dict(Counter(d["status"] for d in sms)),
        "sms_sent": sum(1 for d in sms if d["status"] == "sent"),
        "notified_without_sms": sum(1 for pk in notified if sms_per_report[pk] == 0),
        "reports_with_two_sms": sum(1 for n in sms_per_report.values() if n > 1),
        "sms_in_console": sum(1 for d in sms if str(d["public_id"]) in console),
        "sent_without_console": sum(
            1 for d in deliveries if d["status"] == "sent" and str(d["public_id"]) not in console
        ),
        "push_deliveries": len(push),
        "push_sent": sum(1 for d in push if d["status"] == "sent"),
        "reports_with_two_push": sum(1 for n in push_per_report.values() if n > 1),
        "delivered_twice": sum(1 for n in sent_attempts.values() if n > 1),
        "attempt_outcomes": attempt_outcomes,
        "console_total": ConsoleMessage.objects.count(),
        "timers": len(timers),
        "reports_with_two_timers": sum(1 for n in timer_per_report.values() if n > 1),
        "timer_statuses": dict(Counter(t["status"] for t in timers)),
        "timer_late_ms": sorted(
            (t["fired_at"] - t["due_at"]).total_seconds() * 1000
            for t in timers
            if t["fired_at"] is not None and t["status"] == "done"
        ),
        "timers_due_now": sum(
            1
            for t in timers
            if t["status"] in ("done", "failed")
            or (t["status"] == "pending" and t["due_at"].timestamp() <= time.time())
        ),
        "timers_overdue_pending": sum(
            1 for t in timers if t["status"] == "pending" and t["due_at"].timestamp() <= time.time()
        ),
        "notices": ParkingNotice.objects.filter(report_id__in=[r["pk"] for r in reports]).count(),
        "sms_at": sms_at,
    }


CHILD_OPS = {"prepare": _prepare, "photos": _photos, "backlog": _backlog, "audit": _audit}
