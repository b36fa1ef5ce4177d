"""Registering and updating vehicles, and revealing an owner's phone (audited)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit, ratelimit
from smartduty.kernel.crypto import decrypt_text, encrypt_text, mask_phone
from smartduty.kernel.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from smartduty.kernel.ratelimit import Rate
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District
from smartduty.vehicles.models import Vehicle
from smartduty.vehicles.phones import normalize_mobile
from smartduty.vehicles.plates import parse_plate, resolve_color
from smartduty.vehicles.selectors import find_vehicle_by_plate

REVEAL_PERMISSION = "vehicles.reveal_owner_phone"
REVEAL_ACTION = "vehicles.reveal_owner_phone"
REVEAL_BURST_ACTION = "vehicles.reveal_burst"
"""Audit action: a user revealed many phones in a short time, or was refused for it."""
MIN_REASON_CHARS = 4
MAX_REASON_CHARS = 200
MAX_OWNER_NAME_CHARS = 50


def clean_owner_name(raw: str) -> str:
    """The owner's name, trimmed; raises `ValidationFailed` when empty or too long."""
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationFailed("请填写车主姓名")
    if len(name) > MAX_OWNER_NAME_CHARS:
        raise ValidationFailed(f"车主姓名过长（最多 {MAX_OWNER_NAME_CHARS} 字）")
    return name


def set_owner_phone(vehicle: Vehicle, phone: str) -> None:
    """Store a normalised phone encrypted, with its masked copy for display."""
    vehicle.owner_phone_encrypted = encrypt_text(phone)
    vehicle.owner_phone_masked = mask_phone(phone)


def _full_clean(vehicle: Vehicle) -> None:
    try:
        vehicle.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            "车辆信息不符合要求：" + "；".join(exc.messages), details=exc.message_dict
        ) from exc


@transaction.atomic
def register_vehicle(
    *,
    district: District,
    plate: str,
    owner_name: str,
    owner_phone: str,
    plate_color: str | None = None,
) -> Vehicle:
    """Register a vehicle: the plate is normalised and validated (GA 36-2018), the phone must
    be a mainland mobile number and is stored encrypted. An empty colour means the kind's
    default. Raises `InvalidPlate`/`InvalidPhone` (422) or `Conflict` (409) for a known plate.
    """
    info = parse_plate(plate)
    color = resolve_color(plate_color, info.kind)
    name = clean_owner_name(owner_name)
    phone = normalize_mobile(owner_phone)
    if find_vehicle_by_plate(plate=info.text) is not None:
        raise Conflict(f"车牌 {info.text} 已登记，请直接修改该车辆信息")
    vehicle = Vehicle(
        district=district,
        plate=info.text,
        plate_kind=info.kind,
        plate_color=color,
        owner_name=name,
    )
    set_owner_phone(vehicle, phone)
    _full_clean(vehicle)
    vehicle.save()
    return vehicle


@transaction.atomic
def update_vehicle(
    *,
    vehicle: Vehicle,
    owner_name: str | None = None,
    owner_phone: str | None = None,
    plate_color: str | None = None,
    district: District | None = None,
) -> Vehicle:
    """Change a vehicle's owner, phone, colour or registering district; `None` keeps a value.

    The plate itself never changes: a new plate is a new vehicle.
    """
    if owner_name is not None:
        vehicle.owner_name = clean_owner_name(owner_name)
    if owner_phone is not None:
        set_owner_phone(vehicle, normalize_mobile(owner_phone))
    if plate_color is not None:
        vehicle.plate_color = resolve_color(plate_color, parse_plate(vehicle.plate).kind)
    if district is not None:
        vehicle.district = district
    vehicle.updated_at = timezone.now()
    _full_clean(vehicle)
    vehicle.save()
    return vehicle


def clean_reveal_reason(raw: str) -> str:
    """The reason for a reveal: at least 4 non-space characters, at most 200."""
    reason = " ".join((raw or "").split())
    if len(reason.replace(" ", "")) < MIN_REASON_CHARS:
        raise ValidationFailed(
            f"请填写查看原因（至少 {MIN_REASON_CHARS} 个字），该原因将记入审计日志"
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed(f"查看原因过长（最多 {MAX_REASON_CHARS} 字）")
    return reason


def _reveal_rates() -> tuple[Rate, Rate, Rate]:
    return (
        Rate(limit=int(settings.RATE_LIMIT_REVEAL_BURST_PER_MINUTE), period_s=60),
        Rate(limit=int(settings.RATE_LIMIT_REVEALS_PER_HOUR), period_s=3600),
        Rate(limit=int(settings.RATE_LIMIT_REVEALS_PER_DAY), period_s=86400),
    )


def _throttle_reveals(
    *, actor: User | AnonymousUser | None, vehicle: Vehicle, ip_address: str | None
) -> None:
    """At most `RATE_LIMIT_REVEALS_PER_HOUR` and `_PER_DAY` reveals per user (429 beyond);
    a burst (more than `RATE_LIMIT_REVEAL_BURST_PER_MINUTE` within a minute) or a refusal is
    flagged with one `vehicles.reveal_burst` audit row per user and hour."""
    who = f"u:{actor.pk}" if actor is not None and actor.is_authenticated else "u:system"
    burst, hourly, daily = _reveal_rates()
    bursting = not ratelimit.hit(f"reveal-burst:{who}", burst).allowed
    refused = next(
        (
            (decision, period)
            for decision, period in (
                (ratelimit.hit(f"reveal-day:{who}", daily), "天"),
                (ratelimit.hit(f"reveal-hour:{who}", hourly), "小时"),
            )
            if not decision.allowed
        ),
        None,
    )
    flag_once = Rate(limit=1, period_s=3600)
    if (bursting or refused) and ratelimit.hit(f"reveal-flag:{who}", flag_once).allowed:
        audit.record(
            actor=actor,
            action=REVEAL_BURST_ACTION,
            obj=vehicle,
            district_path=vehicle.district.path,
            reason="短时间内多次查看车主完整电话" + ("，已超出上限被拒绝" if refused else ""),
            changes={
                "burst_per_minute": burst.limit,
                "per_hour": hourly.limit,
                "per_day": daily.limit,
                "refused": refused is not None,
            },
            ip_address=ip_address,
        )
    if refused is not None:
        decision, period = refused
        raise TooManyAttempts(
            f"查看车主电话过于频繁（每{period}上限已到），请 {decision.retry_after} 秒后再试",
            retry_after=decision.retry_after,
        )


def reveal_owner_phone(
    *,
    principal: Principal,
    actor: User | AnonymousUser | None,
    vehicle: Vehicle,
    reason: str,
    ip_address: str | None = None,
) -> str:
    """Decrypt the owner's phone for one officer, once, and audit it with the reason.

    Out of scope → `NotFound`; without `vehicles.reveal_owner_phone` → `PermissionDenied`;
    a reason under 4 characters → `ValidationFailed`. The audit row never holds the number.
    """
    if not principal.covers(vehicle.district.path):
        raise NotFound("未找到该车辆，或不在您的辖区范围内")
    if not principal.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied("您没有查看车主完整电话的权限")
    clean_reason = clean_reveal_reason(reason)
    _throttle_reveals(actor=actor, vehicle=vehicle, ip_address=ip_address)
    phone = decrypt_text(vehicle.owner_phone_encrypted)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=REVEAL_ACTION,
            obj=vehicle,
            district_path=vehicle.district.path,
            reason=clean_reason,
            changes={"masked": vehicle.owner_phone_masked},
            ip_address=ip_address,
        )
    return phone
