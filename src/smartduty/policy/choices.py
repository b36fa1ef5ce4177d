"""Allowed values of policy fields that other apps define, registered in their `ready()`.

Policy sits below the apps that use its values: `notifications` sends with `sms_provider`,
`parking` texts owners with `sms_template_code`. So policy cannot know the allowed values
itself; those apps tell it:

    register_choices("sms_provider", label="短信通道", values=lambda: ["console", ...])

`policy.services.update_policy` refuses a value outside the registered ones (422, naming the
allowed values), so a typo cannot stop every later report of a district and of the districts
inheriting from it. A field nobody registered accepts any value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from smartduty.kernel.registry import Registry


@dataclass(frozen=True)
class FieldChoices:
    """The allowed values of one policy field, read when a policy is edited."""

    field: str
    label: str
    """The field's Chinese name, used in messages."""
    values: Callable[[], Iterable[str]]


_CHOICES: Registry[FieldChoices] = Registry("policy field choices")


def register_choices(field: str, *, label: str, values: Callable[[], Iterable[str]]) -> None:
    """Declare the allowed values of `field`; call from an app's `ready()`."""
    _CHOICES.register(field, FieldChoices(field=field, label=label, values=values))


def allowed_values(field: str) -> list[str] | None:
    """The sorted allowed values of `field`, or None when no app restricts it."""
    choices = _CHOICES.find(field)
    return sorted(set(choices.values())) if choices is not None else None


def problem(field: str, value: str) -> str | None:
    """A Chinese message when `value` is not allowed for `field`, else None."""
    choices = _CHOICES.find(field)
    if choices is None:
        return None
    allowed = sorted(set(choices.values()))
    if value in allowed:
        return None
    return f"{choices.label}“{value}”不存在，可选值：{'、'.join(allowed) or '（无）'}"


def choices() -> Registry[FieldChoices]:
    """The registry itself (tests use `.override()`)."""
    return _CHOICES
