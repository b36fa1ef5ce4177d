"""Session expiry: an absolute age since log-in and an idle timeout.

`SESSION_ABSOLUTE_SECONDS` (default 8 h) after its log-in, or `SESSION_IDLE_SECONDS` (default
30 min) after its last request, a session is logged out (audited `auth.session_expired`). The
last-seen stamp is written at most once a minute, so ordinary requests do not write the
session row. The cookie's own age (`SESSION_COOKIE_AGE`) equals the absolute age.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.clientip import client_ip

SESSION_LOGIN_AT = "_smartduty_login_at"
SESSION_SEEN_AT = "_smartduty_seen_at"
SEEN_RESOLUTION_SECONDS = 60


class SessionExpiryMiddleware:
    """Logs out sessions past their absolute age or idle timeout (after the auth middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(auth.SESSION_KEY):
            now = int(timezone.now().timestamp())
            login_at = session.get(SESSION_LOGIN_AT)
            seen_at = session.get(SESSION_SEEN_AT) or login_at
            if login_at is None:
                session[SESSION_LOGIN_AT] = session[SESSION_SEEN_AT] = now
            elif (
                now - int(login_at) > settings.SESSION_ABSOLUTE_SECONDS
                or now - int(seen_at) > settings.SESSION_IDLE_SECONDS
            ):
                user = request.user
                audit.record(
                    actor=None,
                    action="auth.session_expired",
                    object_type="auth.user",
                    object_id=user.get_username()[:64] if user.is_authenticated else "",
                    changes={"idle": now - int(login_at) <= settings.SESSION_ABSOLUTE_SECONDS},
                    ip_address=client_ip(request) or None,
                )
                auth.logout(request)
            elif now - int(seen_at) >= SEEN_RESOLUTION_SECONDS:
                session[SESSION_SEEN_AT] = now
        return self.get_response(request)
