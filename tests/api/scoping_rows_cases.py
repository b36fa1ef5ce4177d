"""Scoping-matrix rows of the case core: district B's 中队长 reaches none of A's cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PATH_OPS: dict[str, tuple[str, Callable[[], dict[str, Any]] | None, bool]] = {
    "cases-get_case": ("case", None, False),
    "cases-get_timeline": ("case", None, False),
    "cases-create_transition": ("case", lambda: {"action": "register"}, True),
    "cases-request_approval": ("case", lambda: {"action": "void", "reason": "越权测试申请"}, False),
    "cases-decide_approval": ("approval", lambda: {"approve": True}, False),
}
LIST_OPS = {
    "cases-list_cases": ("/api/v1/cases", "case"),
    "cases-list_approvals": ("/api/v1/case-approvals", "approval"),
}
UNSCOPED = {
    "cases-list_categories": "the city's categories, the same for everybody",
    "cases-create_case": "into A is a 404; test_cases_api.test_intruder_cannot_report_into_a",
    "cases-list_nearby": "needs a point; test_duplicates checks B's officer sees none of A's",
}
