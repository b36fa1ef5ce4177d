"""The fuzz run's summary: operations covered, examples sent, statuses and failures.

Each fuzz item records its tallies as a user property of its teardown report (xdist sends
those to the controller); the hooks below, imported by `tests/conftest.py` so that they also
run in the xdist controller, add them up and print one block at the end of the session.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

_KEY = "smartduty-fuzz"
_items: list[dict[str, Any]] = []


def record(node: pytest.Item, role: str, statuses: Counter[int], failures: Counter[str]) -> None:
    """Attach one item's tallies to its reports."""
    label = getattr(node, "operation_label", None) or node.name
    data = {
        "operation": label,
        "role": role,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": dict(failures),
    }
    node.user_properties.append((_KEY, json.dumps(data, ensure_ascii=False)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the tallies of each fuzz item once, from its teardown report."""
    if report.when != "teardown":
        return
    _items.extend(json.loads(str(value)) for key, value in report.user_properties if key == _KEY)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the fuzz summary (the block CI logs and issue notes quote)."""
    if not _items:
        return
    operations = sorted({i["operation"] for i in _items})
    roles = sorted({i["role"] for i in _items})
    statuses: Counter[str] = Counter()
    for item in _items:
        statuses.update(item["statuses"])
    sent = sum(statuses.values())
    server_errors = sum(n for code, n in statuses.items() if code.startswith("5"))
    failed = [i for i in _items if i["failures"]]
    write = terminalreporter.write_line
    terminalreporter.section("API fuzz (schemathesis)", sep="-")
    write(
        f"operations: {len(operations)} × roles {', '.join(roles)} = {len(_items)} items; "
        f"examples sent: {sent}; 5xx responses: {server_errors}; failing items: {len(failed)}"
    )
    write("statuses: " + ", ".join(f"{code}×{n}" for code, n in sorted(statuses.items())))
    for item in sorted(failed, key=lambda i: (i["operation"], i["role"])):
        kinds = "; ".join(f"{title} ×{n}" for title, n in sorted(item["failures"].items()))
        write(f"FAILED {item['operation']} [{item['role']}]: {kinds}")
