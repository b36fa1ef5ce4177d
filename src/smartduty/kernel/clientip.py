"""The caller's network address, the one every part of the product keys on.

Rate limits, log-in throttling and the audit log all use `client_ip`, so a request counts
against one address everywhere. It is `REMOTE_ADDR`, or, when that is a proxy listed in
`TRUSTED_PROXIES` (`SMARTDUTY_TRUSTED_PROXIES`), the nearest `X-Forwarded-For` hop that is not
itself a trusted proxy. A client that sends `X-Forwarded-For` itself chooses nothing.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address ("" when the server was given none)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    trusted = set(settings.TRUSTED_PROXIES)
    if remote not in trusted:
        return remote
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        if hop in trusted:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return remote
    return remote
