"""Receivers wired in `OrgConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from smartduty.org import services
from smartduty.org.middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT


def sync_role_groups(sender: Any, **kwargs: Any) -> None:  # noqa: ARG001 - signal signature
    """After `migrate`, make sure every role group exists with its permissions.

    Django sends `post_migrate` on every `migrate`, even one with nothing to apply, so a new
    role (`states.Role`, `roles.ROLE_PERMISSIONS`) or a new grant needs no migration of its
    own: roles are groups, not a column with choices."""
    if getattr(sender, "label", None) != "org":
        return
    services.sync_role_groups()


def revoke_tokens_on_password_change(
    sender: Any,  # noqa: ARG001 - signal signature
    instance: Any,
    created: bool,  # noqa: FBT001 - signal signature
    **kwargs: Any,  # noqa: ARG001
) -> None:
    """After a saved password change, revoke the account's API tokens.

    `AbstractBaseUser.set_password` keeps the new raw password in `_password` until `save()`
    has sent this signal, which is how every path (admin form, `changepassword`, services)
    shows a change. Sessions need nothing: Django ends them when the password hash changes.
    """
    if created or getattr(instance, "_password", None) is None:
        return
    services.revoke_all_tokens(user=instance, reason="password_changed")


def stamp_session_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:  # noqa: ARG001
    """Record when a session logged in (absolute and idle expiry, `org.middleware`)."""
    session = getattr(request, "session", None)
    if session is not None:
        stamp = int(timezone.now().timestamp())
        session[SESSION_LOGIN_AT] = stamp
        session[SESSION_SEEN_AT] = stamp
