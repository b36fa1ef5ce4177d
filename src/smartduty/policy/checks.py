"""Start-up check of the stored policies (registered in `PolicyConfig.ready()`).

`smartduty.E020`: a district's current policy names an SMS provider or template that no app
registered (`policy.choices`), for example a version written before edits were validated, or
a provider whose adapter was removed from the deployment. Every report with a plate in that
district, and in the districts inheriting from it, would fail. The check reads the database,
so it is tagged `database`: `migrate` runs it, and `manage.py check --database default`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from smartduty.policy import choices
from smartduty.policy.selectors import list_current_policies

FIELDS = ("sms_provider", "sms_template_code")


def check_policies(
    app_configs: Sequence[AppConfig] | None = None,  # noqa: ARG001
    databases: Sequence[str] | None = None,
    **kwargs: Any,  # noqa: ARG001
) -> list[CheckMessage]:
    """E020 for each current policy with an unregistered provider or template."""
    if not databases:
        return []
    try:
        rows = list(list_current_policies())
    except DatabaseError:  # not migrated yet: `migrate` runs its checks before migrating
        return []
    problems: list[CheckMessage] = []
    for row in rows:
        for field in FIELDS:
            value = str(getattr(row, field))
            problem = choices.problem(field, value)
            if problem is None:
                continue
            allowed = ", ".join(choices.allowed_values(field) or [])
            problems.append(
                Error(
                    f"辖区 {row.district.name}（{row.district.code}）的勤务规则 v{row.version}："
                    f"{problem}，该辖区及下级辖区的违停短信将无法发送 / policy v{row.version} "
                    f"of district {row.district.code} names unknown {field} {value!r} "
                    f"(allowed: {allowed}): owner SMS of that district and those inheriting "
                    "from it will fail",
                    hint=(
                        "在管理后台或 PATCH /api/v1/districts/{id}/policy 改为可选值之一 / "
                        "change it to an allowed value in the back office or with "
                        "PATCH /api/v1/districts/{id}/policy"
                    ),
                    obj=row,
                    id="smartduty.E020",
                )
            )
    return problems


def register_checks() -> None:
    """Register the check; called from `PolicyConfig.ready()` (idempotent)."""
    register(check_policies, Tags.database)
