"""Row-level visibility: who may see which rows.

A `Principal` is built once per request (by `org.services.principal_for_user`). Every scoped
model uses `ScopedQuerySet.as_manager()` and names the path of its district's materialised
tree path in `scope_path_lookup`; `visible_to()` keeps the rows inside the principal's
district subtree. API selectors and `kernel.admin_support.ScopedAuditedAdmin` both go through
it, so the API and the back office can never disagree about what an officer may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db import models

_M = TypeVar("_M", bound=models.Model)


@dataclass(frozen=True)
class Principal:
    """The acting person, as scoping and permission checks see them."""

    user_id: int | None
    username: str
    district_path: str | None
    """Materialised path of the principal's district (`/1/4/`); None sees nothing scoped."""
    is_global: bool = False
    """Superusers see every district."""
    permissions: frozenset[str] = field(default_factory=frozenset)
    officer_id: int | None = None
    badge_number: str = ""

    def has_perm(self, perm: str) -> bool:
        """True for superusers, or when the permission is granted through a group."""
        return self.is_global or perm in self.permissions

    def covers(self, path: str) -> bool:
        """Is a district with this materialised path inside the principal's subtree?"""
        if self.is_global:
            return True
        return self.district_path is not None and path.startswith(self.district_path)


ANONYMOUS = Principal(user_id=None, username="", district_path=None)


class ScopedQuerySet(models.QuerySet[_M], Generic[_M]):
    """A queryset that knows how to restrict itself to a principal's district subtree."""

    def visible_to(self, principal: Principal, perm: str | None = None) -> ScopedQuerySet[_M]:
        """Rows inside the principal's subtree; none without `perm` when one is given."""
        if perm is not None and not principal.has_perm(perm):
            return self.none()
        if principal.is_global:
            return self.all()
        if principal.district_path is None:
            return self.none()
        lookup: str = getattr(self.model, "scope_path_lookup", "")
        if not lookup:
            raise TypeError(f"{self.model.__name__} declares no scope_path_lookup")
        return self.filter(**{f"{lookup}__startswith": principal.district_path})
