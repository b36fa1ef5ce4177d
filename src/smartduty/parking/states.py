"""Statuses, actions and the one transition table of the illegal-parking report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from django.db import models

from smartduty.cases.states import Status as CaseStatus


class Status(models.TextChoices):
    """Where a parking report stands."""

    REPORTED = "reported", "已上报"
    AWAITING_MOVE = "awaiting_move", "待挪车"
    MOVED = "moved", "已驶离（劝离成功）"
    AWAITING_RECHECK = "awaiting_recheck", "待复查"
    OWNER_UNKNOWN = "owner_unknown", "车主未知（直接贴单）"
    NOTICE_POSTED = "notice_posted", "已贴单"
    CLOSED = "closed", "已办结"
    DUPLICATE = "duplicate", "重复上报"
    VOID = "void", "已作废"


class Action(models.TextChoices):
    """What can happen to a report."""

    NOTIFY_OWNER = "notify_owner", "短信通知车主"
    MARK_OWNER_UNKNOWN = "mark_owner_unknown", "查无车主"
    SKIP_OWNER_SMS = "skip_owner_sms", "按规则不发短信（直接贴单）"
    MARK_DUPLICATE = "mark_duplicate", "判定为重复上报"
    CONFIRM_MOVED = "confirm_moved", "确认已驶离"
    DEADLINE_LAPSED = "deadline_lapsed", "挪车时限已到"
    POST_NOTICE = "post_notice", "开具提示单"
    CLOSE = "close", "办结（上传贴单照片）"
    VOID = "void", "作废"


OPEN: Final = frozenset(
    {
        Status.REPORTED,
        Status.AWAITING_MOVE,
        Status.AWAITING_RECHECK,
        Status.OWNER_UNKNOWN,
        Status.NOTICE_POSTED,
    }
)
TERMINAL: Final = frozenset({Status.MOVED, Status.CLOSED, Status.DUPLICATE, Status.VOID})

ALLOWED: Final[Mapping[tuple[Status, Action], Status]] = {
    (Status.REPORTED, Action.NOTIFY_OWNER): Status.AWAITING_MOVE,
    (Status.REPORTED, Action.MARK_OWNER_UNKNOWN): Status.OWNER_UNKNOWN,
    (Status.REPORTED, Action.SKIP_OWNER_SMS): Status.OWNER_UNKNOWN,
    (Status.REPORTED, Action.MARK_DUPLICATE): Status.DUPLICATE,
    (Status.REPORTED, Action.VOID): Status.VOID,
    (Status.AWAITING_MOVE, Action.CONFIRM_MOVED): Status.MOVED,
    (Status.AWAITING_MOVE, Action.DEADLINE_LAPSED): Status.AWAITING_RECHECK,
    (Status.AWAITING_MOVE, Action.VOID): Status.VOID,
    # only once the vendor reported the owner SMS undelivered (`selectors.may_post_notice_now`)
    (Status.AWAITING_MOVE, Action.POST_NOTICE): Status.NOTICE_POSTED,
    (Status.AWAITING_RECHECK, Action.CONFIRM_MOVED): Status.MOVED,
    (Status.AWAITING_RECHECK, Action.POST_NOTICE): Status.NOTICE_POSTED,
    (Status.AWAITING_RECHECK, Action.VOID): Status.VOID,
    (Status.OWNER_UNKNOWN, Action.POST_NOTICE): Status.NOTICE_POSTED,
    (Status.OWNER_UNKNOWN, Action.VOID): Status.VOID,
    (Status.NOTICE_POSTED, Action.CLOSE): Status.CLOSED,
    (Status.NOTICE_POSTED, Action.VOID): Status.VOID,
}
"""The only place that decides what is legal. Services look moves up here."""

SYSTEM_ACTIONS: Final = frozenset(
    {
        Action.NOTIFY_OWNER,
        Action.MARK_OWNER_UNKNOWN,
        Action.SKIP_OWNER_SMS,
        Action.MARK_DUPLICATE,
        Action.DEADLINE_LAPSED,
    }
)
"""Actions taken by the platform itself, never requested through the transitions endpoint.

`skip_owner_sms`: the owner is known but the district's policy sends no SMS now (quiet hours
with the `notice` mode, or a daily cap reached); the report goes where the officer posts the
notice directly, like an unknown owner, and the step's reason says why."""

SUBJECT: Final = "parking.report"
"""Subject type of a report's timers and messages."""

CASE_STATUS: Final[Mapping[Status, CaseStatus]] = {
    Status.REPORTED: CaseStatus.REPORTED,
    Status.AWAITING_MOVE: CaseStatus.DISPATCHED,
    Status.OWNER_UNKNOWN: CaseStatus.DISPATCHED,
    Status.AWAITING_RECHECK: CaseStatus.DISPATCHED,
    Status.NOTICE_POSTED: CaseStatus.DISPATCHED,
    Status.MOVED: CaseStatus.CLOSED,
    Status.CLOSED: CaseStatus.CLOSED,
    Status.DUPLICATE: CaseStatus.DUPLICATE,
    Status.VOID: CaseStatus.VOIDED,
}
"""What each status is on the case core: the report's case row (`ParkingReport.case`) follows
the report through `cases.services.follow`, called by `services.transition` on every move.
The plate confirmed (owner texted or unknown) is the case's 立案 and 处置 at once; 劝离 and the
notice closed are 结案; the case row has no moves of its own."""


class RecheckOutcome(models.TextChoices):
    """What the officer found at the re-check."""

    GONE = "gone", "车辆已驶离"
    STILL_THERE = "still_there", "车辆仍在原处"


class NoticeLayout(models.TextChoices):
    """Printable layouts of the 文明停车提示单."""

    A6 = "a6", "A6 纸"
    THERMAL80 = "thermal80", "80 mm 热敏纸"
