"""Receivers wired in `OrgConfig.ready()`."""

from __future__ import annotations

from typing import Any

from smartduty.org import services


def sync_role_groups(sender: Any, **kwargs: Any) -> None:  # noqa: ARG001 - signal signature
    """After `migrate`, make sure every role group exists with its permissions."""
    if getattr(sender, "label", None) != "org":
        return
    services.sync_role_groups()
