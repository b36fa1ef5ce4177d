"""The `parking.move_deadline` timer: fires, is cancelled, finds its subject resolved, retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus
from smartduty.notifications import services as outbox
from smartduty.notifications.models import Delivery
from smartduty.org.models import Officer
from smartduty.parking import services
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.parking.states import SUBJECT, Action, Status
from tests.factories.parking import report_in

pytestmark = pytest.mark.django_db


def _fire_after(seconds: int) -> Timer | None:
    with time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False):
        return timers.fire_next_due()


def test_fires_at_the_deadline_not_before(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    assert _fire_after(590) is None
    fired = _fire_after(601)
    assert fired is not None
    assert fired.status == TimerStatus.DONE
    report.refresh_from_db()
    assert report.status == Status.AWAITING_RECHECK
    push = Delivery.objects.get(channel="app_push")
    assert push.subject_id == str(report.pk)
    assert "时限已到" in push.rendered_text


def test_cancelled_when_the_car_leaves(officer_a: Officer) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    services.transition(
        report, Action.CONFIRM_MOVED, actor=officer_a.user, changes={"moved_at": timezone.now()}
    )
    assert Timer.objects.get(kind=services.MOVE_DEADLINE).status == TimerStatus.CANCELLED
    assert _fire_after(700) is None
    assert not Delivery.objects.filter(channel="app_push").exists()


def test_subject_already_resolved_is_a_no_op(officer_a: Officer) -> None:
    report = report_in(Status.MOVED, officer_a)
    with transaction.atomic():  # a deadline that outlived its state (e.g. restored backup)
        timers.schedule(
            kind=services.MOVE_DEADLINE,
            subject_type=SUBJECT,
            subject_id=str(report.pk),
            due_at=timezone.now(),
        )
    fired = _fire_after(1)
    assert fired is not None
    assert fired.status == TimerStatus.DONE
    report.refresh_from_db()
    assert report.status == Status.MOVED
    assert not ParkingTransition.objects.filter(action=Action.DEADLINE_LAPSED).exists()
    assert not Delivery.objects.filter(channel="app_push").exists()


def test_handler_error_is_retried_and_rolled_back(
    officer_a: Officer, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = report_in(Status.AWAITING_MOVE, officer_a)
    real_request = outbox.request
    calls = {"n": 0}

    def flaky(**kwargs: object) -> Delivery:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("outbox database hiccup")
        return real_request(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "request", flaky)
    first = _fire_after(601)
    assert first is not None
    timer = Timer.objects.get()
    assert (timer.status, timer.attempts) == (TimerStatus.PENDING, 1)
    assert "hiccup" in timer.last_error
    report.refresh_from_db()
    assert report.status == Status.AWAITING_MOVE  # the transition was rolled back with the error
    assert not ParkingTransition.objects.filter(action=Action.DEADLINE_LAPSED).exists()
    assert _fire_after(605) is None  # backing off
    again = _fire_after(601 + 11)
    assert again is not None
    assert again.status == TimerStatus.DONE
    assert ParkingReport.objects.get(pk=report.pk).status == Status.AWAITING_RECHECK
    assert ParkingTransition.objects.filter(action=Action.DEADLINE_LAPSED).count() == 1
    assert Delivery.objects.filter(channel="app_push").count() == 1
