"""HTTP authentication for the API: session (+CSRF) for same-origin pages, bearer tokens for apps.

`principal_of(request)` gives every handler the one `Principal` of the request.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from smartduty.kernel.errors import DomainError
from smartduty.kernel.scoping import Principal
from smartduty.org import otp, services
from smartduty.org.models import ApiToken, Officer


class SessionAuth(APIKeyCookie):
    """Django session cookie; unsafe methods need the CSRF token (set by ninja)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # noqa: ARG002
        user = request.user
        if user.is_authenticated and user.is_active and otp.session_ok(user):
            return user
        return None  # includes a session still waiting for its one-time code


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer sdt_...` issued by `POST /api/v1/auth/tokens`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            api_token, user = services.find_token_user(raw=token)
        except DomainError:
            return None
        request.user = user  # type: ignore[assignment]  # the app acts as this user
        request._smartduty_token = api_token  # type: ignore[attr-defined]
        return user


AUTH = [BearerTokenAuth(), SessionAuth(csrf=True)]
"""Bearer first: a request that carries a token never reaches the session's CSRF check."""


def token_of(request: HttpRequest) -> ApiToken | None:
    """The bearer token that authenticated this request (None for a session)."""
    found: ApiToken | None = getattr(request, "_smartduty_token", None)
    return found


def principal_of(request: HttpRequest) -> Principal:
    """The request's principal, built once and cached on the request."""
    return _principal_and_officer(request)[0]


def officer_of(request: HttpRequest) -> Officer | None:
    """The officer record of the request's account (None for accounts without one), cached."""
    return _principal_and_officer(request)[1]


def _principal_and_officer(request: HttpRequest) -> tuple[Principal, Officer | None]:
    cached: tuple[Principal, Officer | None] | None = getattr(
        request, "_smartduty_principal_officer", None
    )
    if cached is None:
        cached = services.principal_and_officer_for_user(
            getattr(request, "auth", None) or request.user
        )
        request._smartduty_principal_officer = cached  # type: ignore[attr-defined]
    return cached
