"""Every (state, action) pair of the parking report: allowed moves land, others are refused."""

from __future__ import annotations

import pytest
from django.utils import timezone

from smartduty.kernel.fsm import InvalidTransition
from smartduty.notifications.models import Delivery
from smartduty.notifications.states import ReceiptStatus
from smartduty.org.models import Officer
from smartduty.parking import services
from smartduty.parking.models import ParkingReport, ParkingTransition
from smartduty.parking.states import ALLOWED, OPEN, SUBJECT, TERMINAL, Action, Status
from tests.factories.parking import report_in

pytestmark = pytest.mark.django_db

PAIRS = [(status, action) for status in Status for action in Action]
GUARDED = {(Status.AWAITING_MOVE, Action.POST_NOTICE)}
"""In the table, but only once the owner SMS was reported undelivered (`may_post_notice_now`)."""


def test_open_and_terminal_partition_the_statuses() -> None:
    assert set(Status) == OPEN | TERMINAL
    assert not OPEN & TERMINAL
    for (source, _), _target in ALLOWED.items():
        assert source not in TERMINAL


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_state_action_pair(status: Status, action: Action, officer_a: Officer) -> None:
    report = report_in(status, officer_a)
    assert report.status == status
    before_version = report.version
    before_steps = ParkingTransition.objects.filter(report=report).count()
    target = ALLOWED.get((status, action))
    changes = {"deadline_at": timezone.now()} if target == Status.AWAITING_MOVE else None
    if (status, action) in GUARDED:
        with pytest.raises(InvalidTransition):  # the guard refuses first, nothing changes
            services.transition(report, action, actor=officer_a.user, changes=changes)
        assert ParkingReport.objects.get(pk=report.pk).version == before_version
        Delivery.objects.filter(subject_type=SUBJECT, subject_id=str(report.pk)).update(
            receipt_status=ReceiptStatus.UNDELIVERED
        )
    if target is None:
        with pytest.raises(InvalidTransition):
            services.transition(report, action, actor=officer_a.user, changes=changes)
        report.refresh_from_db()
        assert report.status == status
        assert report.version == before_version
        assert ParkingTransition.objects.filter(report=report).count() == before_steps
    else:
        moved = services.transition(report, action, actor=officer_a.user, changes=changes)
        assert moved.status == target
        fresh = ParkingReport.objects.get(pk=report.pk)
        assert fresh.status == target
        assert fresh.version == before_version + 1
        last = ParkingTransition.objects.filter(report=report).last()
        assert last is not None
        assert (last.from_status, last.action, last.to_status) == (status, action, target)
