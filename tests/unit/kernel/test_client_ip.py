"""One source address for throttling, rate limits and the audit log (`kernel.clientip`)."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from smartduty.kernel.clientip import client_ip
from smartduty.kernel.middleware import principal_key


def _request(remote: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/api/v1/plates/validate", **extra)


@override_settings(TRUSTED_PROXIES=["10.0.0.5"])
def test_a_trusted_proxy_passes_the_client_address_on() -> None:
    request = _request("10.0.0.5", "198.51.100.1, 203.0.113.9")
    # the nearest hop that is not a trusted proxy: what our proxy saw, not what the client wrote
    assert client_ip(request) == "203.0.113.9"
    assert principal_key(request) == "ip:203.0.113.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.5"])
def test_a_client_cannot_choose_its_address_with_the_header() -> None:
    request = _request("198.51.100.7", "203.0.113.9")
    assert client_ip(request) == "198.51.100.7"
    assert principal_key(request) == "ip:198.51.100.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.5", "10.0.0.6"])
def test_chained_trusted_proxies_and_garbage() -> None:
    assert client_ip(_request("10.0.0.5", "203.0.113.9, 10.0.0.6")) == "203.0.113.9"
    # a hop that is not an address: keep the proxy's own address rather than trust text
    assert client_ip(_request("10.0.0.5", "<script>")) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5")) == "10.0.0.5"
