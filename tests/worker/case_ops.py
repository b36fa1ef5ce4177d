"""Case-core operations for the worker tests, like `tests.worker.ops` (run in a subprocess
with the worker's environment; prints JSON): `python -m tests.worker.case_ops <op> '<json>'`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import django


def dispatched_case(*, overdue_in_s: float) -> dict[str, Any]:
    """A case of district A dispatched to unit A whose handling clock runs out in
    `overdue_in_s` seconds (its timer and due time moved there; the warning cancelled)."""
    from django.db import transaction  # noqa: PLC0415 - after django.setup()
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.cases import services  # noqa: PLC0415
    from smartduty.cases.models import Case, Category  # noqa: PLC0415
    from smartduty.cases.states import Action  # noqa: PLC0415
    from smartduty.kernel.models import Timer, TimerStatus  # noqa: PLC0415
    from smartduty.org.services import principal_for_user  # noqa: PLC0415
    from smartduty.org.states import Role  # noqa: PLC0415
    from tests.factories.org import make_city, make_officer  # noqa: PLC0415

    if not Category.objects.filter(code="E0401").exists():
        # on PostgreSQL an earlier `transaction=True` test flushed the tables, and with them
        # the categories the data migration wrote: write them again the same way
        import importlib  # noqa: PLC0415

        from django.apps import apps  # noqa: PLC0415

        importlib.import_module("smartduty.cases.migrations.0002_defaults").load(apps, None)
    city = make_city()
    officer = make_officer(city.unit_a, username="case_officer")
    commander = make_officer(city.city_unit, role=Role.COMMAND, username="case_commander")
    command = principal_for_user(commander.user)
    case = services.report_case(
        principal=principal_for_user(officer.user),
        actor=officer.user,
        category=Category.objects.get(code="E0401"),
        district=city.district_a,
        place="人民路88号",
    )
    case = services.act(case, Action.REGISTER, principal=command, actor=commander.user)
    case = services.act(
        case, Action.DISPATCH, principal=command, actor=commander.user, unit=city.unit_a
    )
    due = timezone.now() + timedelta(seconds=overdue_in_s)
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(step_due_at=due, handle_due_at=due)
        pending = Timer.objects.filter(subject_id=str(case.pk), status=TimerStatus.PENDING)
        pending.filter(kind=services.STEP_WARN).update(status=TimerStatus.CANCELLED)
        pending.filter(kind=services.STEP_OVERDUE).update(due_at=due)
    return {"id": case.pk, "due_at": due.isoformat()}


def case_state(*, case_id: int) -> dict[str, Any]:
    """The case's timeline, timers, alert deliveries and what the console provider stored."""
    from smartduty.cases.models import Case  # noqa: PLC0415
    from smartduty.kernel.models import Timer  # noqa: PLC0415
    from smartduty.notifications.models import ConsoleMessage, Delivery  # noqa: PLC0415

    case = Case.objects.get(pk=case_id)
    alerts = Delivery.objects.filter(subject_type="cases.case", subject_id=str(case_id))
    return {
        "overdue_steps": case.overdue_steps,
        "actions": list(case.transitions.order_by("id").values_list("action", flat=True)),
        "timers": [
            [t.kind, t.status, t.attempts]
            for t in Timer.objects.filter(subject_id=str(case_id)).order_by("id")
            if t.status != "cancelled"
        ],
        "alerts": [
            {"public_id": str(d.public_id), "status": d.status, "title": d.params["title"]}
            for d in alerts.order_by("id")
        ],
        "console": [
            m.idempotency_key
            for m in ConsoleMessage.objects.filter(
                idempotency_key__in=[str(d.public_id) for d in alerts]
            ).order_by("id")
        ],
    }


OPS: dict[str, Callable[..., dict[str, Any]]] = {
    "dispatched_case": dispatched_case,
    "case_state": case_state,
}

if __name__ == "__main__":
    django.setup()
    kwargs = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    sys.stdout.write(json.dumps(OPS[sys.argv[1]](**kwargs)) + "\n")
