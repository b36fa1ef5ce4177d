"""Data fixes that migrations run with historical models (no app code runs there)."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery


def stamp_registered_at(case_model: Any, transition_model: Any) -> int:
    """`registered_at` of every case that has a 立案 (`register`) row and no stamp yet: the
    time of its first such row. One UPDATE; returns the rows changed."""
    first = (
        transition_model.objects.filter(case=OuterRef("pk"), action="register")
        .order_by("at")
        .values("at")[:1]
    )
    registered = transition_model.objects.filter(action="register").values("case_id")
    stamped: int = case_model.objects.filter(registered_at__isnull=True, pk__in=registered).update(
        registered_at=Subquery(first)
    )
    return stamped
