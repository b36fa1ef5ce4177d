"""Writes of the case core: report a case, move it along `states.ALLOWED`, run the approval
ledger and the step clocks. One module per concern; this package exposes the use cases:

- `reporting`: 上报 by an officer (`report_case`, routed by the grid, duplicates linked) or by
  the public through a partner system (`report_public_case`).
- `acting`: what people do (`act`, `check_may_act`, `roles_of`); actions that need approval
  are never carried out there.
- `approvals`: the approval ledger (`request_approval` → `decide_approval`).
- `transitions`: `transition`, the one place that changes `status`, and the step clocks (due
  times on the working calendar, the warning and overdue timers, 缓办 / 恢复办理 / 延期).
- `step_timers`: what the step timers do when they fire (`handle_step_timer`).
- `followed`: cases that another loop drives (违法停车), opened and moved by that loop.
- `common`: what they share (timer kinds, case numbers, the routing grid, timeline rows).
"""

from smartduty.cases.services.acting import act, check_may_act, roles_of
from smartduty.cases.services.approvals import decide_approval, request_approval
from smartduty.cases.services.common import STEP_OVERDUE, STEP_WARN, SUBJECT, WARN_SHARE
from smartduty.cases.services.followed import (
    follow,
    followed_category,
    grid_for,
    open_followed,
    refuse_followed,
)
from smartduty.cases.services.reporting import (
    PUBLIC_PERMISSIONS,
    check_may_report,
    clean_form_data,
    public_principal,
    report_case,
    report_public_case,
)
from smartduty.cases.services.step_timers import clock_version, handle_step_timer
from smartduty.cases.services.transitions import transition

__all__ = [
    "PUBLIC_PERMISSIONS",
    "STEP_OVERDUE",
    "STEP_WARN",
    "SUBJECT",
    "WARN_SHARE",
    "act",
    "check_may_act",
    "check_may_report",
    "clean_form_data",
    "clock_version",
    "decide_approval",
    "follow",
    "followed_category",
    "grid_for",
    "handle_step_timer",
    "open_followed",
    "public_principal",
    "refuse_followed",
    "report_case",
    "report_public_case",
    "request_approval",
    "roles_of",
    "transition",
]
