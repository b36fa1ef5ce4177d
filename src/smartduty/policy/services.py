"""Policy writes. Every edit creates the next version and leaves an audit row.

What an edit may store: text without control or invisible characters (the signature goes
into every SMS), a provider and template that the apps using them registered
(`policy.choices`), what happens inside quiet hours (`QuietHoursMode`), the reminder point
and the daily SMS caps (field validators), and quiet hours as local wall-clock times (a time
with a UTC offset, as RFC 3339 clients send it, is converted to `settings.TIME_ZONE`:
`14:00:00Z` → 22:00).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any, Final

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.kernel.text import has_hidden_characters
from smartduty.org.models import District
from smartduty.policy import choices
from smartduty.policy.models import DistrictPolicy, QuietHoursMode
from smartduty.policy.selectors import get_effective_policy

_UNSET: Any = object()


@dataclass(frozen=True)
class PolicyChanges:
    """Fields to change; fields left as `None` keep the previous version's value.

    Quiet hours are cleared with `clear_quiet_hours=True`.
    """

    move_window_seconds: int | None = None
    duplicate_window_seconds: int | None = None
    sms_provider: str | None = None
    sms_signature: str | None = None
    sms_template_code: str | None = None
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    clear_quiet_hours: bool = False
    quiet_hours_mode: str | None = None
    reminder_at_percent: int | None = None
    daily_sms_cap_per_number: int | None = None
    daily_sms_cap_per_officer: int | None = None


EDITABLE_FIELDS = (
    "move_window_seconds",
    "duplicate_window_seconds",
    "sms_provider",
    "sms_signature",
    "sms_template_code",
    "quiet_hours_start",
    "quiet_hours_end",
    "quiet_hours_mode",
    "reminder_at_percent",
    "daily_sms_cap_per_number",
    "daily_sms_cap_per_officer",
)
TEXT_FIELDS: Final = {
    "sms_provider": "短信通道",
    "sms_signature": "短信签名",
    "sms_template_code": "挪车短信模板编号",
}


def local_time(value: time | None) -> time | None:
    """A quiet-hours time as local wall-clock time: an offset is converted to the default
    time zone (on today's date, which matters only where that zone has daylight saving)."""
    if value is None or value.utcoffset() is None:
        return value
    moment = datetime.combine(timezone.localdate(), value)
    return moment.astimezone(timezone.get_default_timezone()).time().replace(tzinfo=None)


def _check_values(values: dict[str, Any], reason: str) -> None:
    """422 for hidden characters and for values the using apps did not register."""
    if has_hidden_characters(reason):
        raise ValidationFailed("修改原因不能包含控制字符或不可见字符")
    for name, label in TEXT_FIELDS.items():
        if has_hidden_characters(str(values[name])):
            raise ValidationFailed(f"{label}不能包含控制字符或不可见字符")
    for name in ("sms_provider", "sms_template_code"):
        problem = choices.problem(name, str(values[name]))
        if problem is not None:
            raise ValidationFailed(problem, details={"field": name})


@transaction.atomic
def update_policy(
    *,
    principal: Principal,
    actor: User | AnonymousUser | None,
    district: District,
    changes: PolicyChanges,
    reason: str,
    expected_version: int | None = None,
) -> DistrictPolicy:
    """Write the next version of a district's policy.

    The first edit of a district without its own row starts from the inherited values.
    `expected_version` guards against two commanders editing at once (409 on mismatch).
    Hidden characters, an unregistered provider or template (`policy.choices`), half a
    quiet-hours period (or one with equal start and end), an unknown quiet-hours mode and
    out-of-range reminder points or caps are refused with `ValidationFailed` (422).
    """
    if not principal.has_perm("policy.change_districtpolicy"):
        raise PermissionDenied("您没有修改勤务规则的权限")
    if not principal.covers(district.path):
        raise PermissionDenied("只能修改本辖区及下级辖区的规则")
    if not reason.strip():
        raise ValidationFailed("请填写修改原因")
    current = (
        DistrictPolicy.objects.select_for_update()
        .filter(district=district, is_current=True)
        .first()
    )
    current_version = current.version if current else 0
    if expected_version is not None and expected_version != current_version:
        raise Conflict(f"规则已被他人修改（当前为 v{current_version}），请刷新后重试")

    # the stored rules, never the demo override of the move window: that must not be
    # persisted as if it were the district's (or its parent's) rule
    base = get_effective_policy(district=district, demo_override=False)
    values: dict[str, Any] = {name: getattr(current or base, name) for name in EDITABLE_FIELDS}
    for name, value in asdict(changes).items():
        if name in EDITABLE_FIELDS and value is not None:
            values[name] = value
    if changes.clear_quiet_hours:
        values["quiet_hours_start"] = values["quiet_hours_end"] = None
    values["quiet_hours_start"] = local_time(values["quiet_hours_start"])
    values["quiet_hours_end"] = local_time(values["quiet_hours_end"])
    _check_values(values, reason)
    if (values["quiet_hours_start"] is None) != (values["quiet_hours_end"] is None):
        raise ValidationFailed("免打扰时段的开始和结束时间需同时填写")
    if values["quiet_hours_start"] is not None and (
        values["quiet_hours_start"] == values["quiet_hours_end"]
    ):
        raise ValidationFailed("免打扰时段的开始和结束时间不能相同")
    if values["quiet_hours_mode"] not in QuietHoursMode.values:
        raise ValidationFailed(
            "免打扰时段内的处理方式须为 defer（推迟发送）或 notice（直接贴单）",
            details={"field": "quiet_hours_mode"},
        )

    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    new = DistrictPolicy(
        district=district,
        version=current_version + 1,
        is_current=True,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        change_reason=reason.strip()[:200],
        **values,
    )
    try:
        new.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            "规则内容不符合要求：" + "；".join(_labelled(exc)), details=exc.message_dict
        ) from exc
    new.save()
    before = {name: _plain(getattr(current, name)) for name in EDITABLE_FIELDS} if current else {}
    audit.record(
        actor=actor,
        action="policy.update",
        obj=new,
        district_path=district.path,
        reason=reason,
        changes={
            "version": [current_version, new.version],
            **{
                name: [before.get(name), _plain(values[name])]
                for name in EDITABLE_FIELDS
                if before.get(name) != _plain(values[name])
            },
        },
    )
    return new


def _labelled(exc: ValidationError) -> list[str]:
    """Each message with the field's Chinese name in front (`挪车时限（秒）：…`)."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    fields = {field.name: str(field.verbose_name) for field in DistrictPolicy._meta.fields}
    return [
        f"{fields[name]}：{message}" if name in fields else message
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, time) else value
