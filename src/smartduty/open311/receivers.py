"""Receivers of other apps' signals (connected in `Open311Config.ready()`)."""

from __future__ import annotations

from typing import Any

from smartduty.cases.models import Case
from smartduty.open311 import services


def on_case_ended(sender: type[Case], case: Case, **kwargs: Any) -> None:  # noqa: ARG001
    """`cases.events.case_ended`: start the retention clock of the reporter's contact, in
    the transaction that ended the case."""
    services.schedule_contact_erasure(case=case)
