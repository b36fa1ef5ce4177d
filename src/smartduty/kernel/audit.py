"""Writing audit rows. Called by services inside their transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from smartduty.kernel.models import AuditEntry


def record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    district_path: str = "",
    reason: str = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one audit row. `obj` (a model instance) fills type, id and repr."""
    user = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", None) or obj.pk)
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:200] if obj is not None else "",
        district_path=district_path,
        reason=reason,
        changes=changes or {},
        ip_address=ip_address,
    )
