"""Django's model backend, with a user's permissions read in one query instead of two.

`ModelBackend.get_all_permissions` reads the user's own permissions and their groups'
permissions with two queries per request (every API request builds a `Principal` with the
full set). Here both come from one query; the result and its per-request cache
(`user._perm_cache`) are the same, so `has_perm`, the admin and `Principal` behave as before.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class OneQueryModelBackend(ModelBackend):
    """`ModelBackend` whose `get_all_permissions` makes one query."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """The `app_label.codename` set of the user's and their groups' permissions."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            perms = perms.order_by()
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in perms.values_list(
                    "content_type__app_label", "codename"
                ).distinct()
            }
        perms_cache: set[str] = user_obj._perm_cache
        return perms_cache
