"""The case table: every (status, action) pair, reachability, approvals and Open311 statuses."""

from __future__ import annotations

from collections import deque

import pytest

from smartduty.cases.states import (
    ALLOWED,
    NEEDS_APPROVAL,
    OPEN,
    OPEN311_STATUS,
    STEP_OF_STATUS,
    TERMINAL,
    Action,
    Status,
    Step,
)
from smartduty.kernel.fsm import allowed_actions, next_status
from smartduty.org.states import Role

S, A = Status, Action
# The 7-step loop as GB/T 30428.8 describes it, written out independently of states.py
EXPECTED = {
    (S.REPORTED, A.REGISTER): S.REGISTERED,
    (S.REPORTED, A.REJECT): S.NOT_A_CASE,
    (S.REPORTED, A.MARK_DUPLICATE): S.DUPLICATE,
    (S.REPORTED, A.VOID): S.VOIDED,
    (S.REGISTERED, A.DISPATCH): S.DISPATCHED,
    (S.REGISTERED, A.VOID): S.VOIDED,
    (S.DISPATCHED, A.HANDLE): S.HANDLED,
    (S.DISPATCHED, A.SEND_BACK): S.REGISTERED,
    (S.DISPATCHED, A.EXTEND): S.DISPATCHED,
    (S.DISPATCHED, A.DEFER): S.DEFERRED,
    (S.DISPATCHED, A.VOID): S.VOIDED,
    (S.DEFERRED, A.RESUME): S.DISPATCHED,
    (S.DEFERRED, A.VOID): S.VOIDED,
    (S.HANDLED, A.VERIFY_PASS): S.CLOSED,
    (S.HANDLED, A.VERIFY_FAIL): S.DISPATCHED,
    (S.HANDLED, A.VOID): S.VOIDED,
    (S.CLOSED, A.EVALUATE): S.EVALUATED,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_and_action(status: Status, action: Action) -> None:
    assert next_status(ALLOWED, status, action) == EXPECTED.get((status, action))


def test_terminal_statuses_offer_nothing_but_an_evaluation() -> None:
    for status in TERMINAL:
        actions = allowed_actions(ALLOWED, status)
        assert actions == ([A.EVALUATE] if status == S.CLOSED else []), status
    assert set(Status) == OPEN | TERMINAL
    assert not OPEN & TERMINAL


def test_every_status_is_reachable_and_every_open_case_can_end() -> None:
    seen, queue = {S.REPORTED}, deque([S.REPORTED])
    while queue:
        status = queue.popleft()
        for action in allowed_actions(ALLOWED, status):
            target = ALLOWED[(status, action)]
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(Status)
    for status in OPEN:
        assert (status, A.VOID) in ALLOWED  # 作废 from anywhere open (with approval)


def test_approvals_and_clocks() -> None:
    assert {A.SEND_BACK, A.EXTEND, A.DEFER, A.VOID} == NEEDS_APPROVAL
    # one step clock per working status; 缓办 pauses the handling clock
    assert STEP_OF_STATUS == {
        S.REGISTERED: Step.DISPATCH,
        S.DISPATCHED: Step.HANDLE,
        S.HANDLED: Step.VERIFY,
    }
    from smartduty.cases.states import APPROVER_ROLES  # noqa: PLC0415

    assert Role.COMMAND in APPROVER_ROLES[A.VOID]
    assert Role.OFFICER not in set().union(*APPROVER_ROLES.values())


def test_open311_statuses() -> None:
    assert set(OPEN311_STATUS) == set(Status)
    for status, (simple, _extended) in OPEN311_STATUS.items():
        assert simple == ("open" if status in OPEN else "closed"), status
    assert OPEN311_STATUS[S.VOIDED][1] == "CANCELLED"
    assert OPEN311_STATUS[S.DUPLICATE][1] == "DUPLICATE"
