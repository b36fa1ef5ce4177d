"""Sender adapters and their registry, keyed by (channel, provider name).

`NotificationsConfig.ready()` registers the console adapters as `console` for every channel;
a vendor adapter (`aliyun_sms`, `wecom_bot` …) registers itself the same way, and a district's
policy names the provider to use. Tests register `RecordingSender`s with `senders().override`.
"""

from __future__ import annotations

from smartduty.kernel.registry import Registry
from smartduty.notifications.ports import Channel, Sender

_SENDERS: Registry[Sender] = Registry("message provider")


def _key(channel: str, name: str) -> str:
    return f"{Channel(channel).value}:{name}"


def register_provider(name: str, sender: Sender) -> None:
    """Register `sender` as provider `name` for its channel (`sender.channel`)."""
    _SENDERS.register(_key(sender.channel, name), sender)


def find_sender(*, channel: str, name: str) -> Sender | None:
    """The sender registered as `name` for `channel`, or None."""
    return _SENDERS.find(_key(channel, name))


def provider_names(*, channel: str) -> list[str]:
    """Names of the providers registered for `channel`, sorted."""
    prefix = f"{Channel(channel).value}:"
    return [key.removeprefix(prefix) for key in _SENDERS.names() if key.startswith(prefix)]


def provider_key(*, channel: str, name: str) -> str:
    """The registry key of a provider (for `senders().override(...)` in tests)."""
    return _key(channel, name)


def senders() -> Registry[Sender]:
    """The provider registry itself."""
    return _SENDERS
