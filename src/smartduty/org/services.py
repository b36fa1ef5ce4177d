"""Org use cases: the district tree, officers, tokens, log-in, role groups and principals.

Log-in throttling lives in `org.throttle`, two-factor in `org.otp` (service modules too).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.apps import apps as django_apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission, User
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.errors import NotAuthenticated, NotFound, ValidationFailed
from smartduty.kernel.scoping import ANONYMOUS, Principal
from smartduty.org import otp as otp_service
from smartduty.org import selectors, throttle
from smartduty.org.errors import OtpEnrolmentRequired, OtpInvalid, OtpRequired
from smartduty.org.models import Agency, ApiToken, District, Officer, Unit
from smartduty.org.roles import OUR_APPS, ROLE_PERMISSIONS, STAFF_ROLES
from smartduty.org.states import AgencyKind, DistrictLevel, Role, UnitLevel

TOKEN_PREFIX = "sdt_"  # noqa: S105 - a public prefix, not a secret
TOKEN_LIFETIME = timedelta(days=30)

_LEVEL_UNDER: dict[str, str | None] = {
    DistrictLevel.CITY: None,
    DistrictLevel.DISTRICT: DistrictLevel.CITY,
    DistrictLevel.STREET: DistrictLevel.DISTRICT,
}


def _check_level(level: str, parent: District | None) -> None:
    """市 → 区 → 街道: a node's parent is one level up (a 市 has none)."""
    expected_parent_level = _LEVEL_UNDER[level]
    if expected_parent_level is None and parent is not None:
        raise ValidationFailed("市级辖区不能有上级")
    if expected_parent_level is not None and (
        parent is None or parent.level != expected_parent_level
    ):
        raise ValidationFailed(
            f"{DistrictLevel(level).label}的上级必须是{_label(expected_parent_level)}"
        )


def create_district(
    *, code: str, name: str, level: DistrictLevel, parent: District | None = None
) -> District:
    """Add a node to the district tree, enforcing 市 → 区 → 街道."""
    _check_level(level, parent)
    district = District(code=code, name=name, level=level, parent=parent)
    district.path = district_path_for(code=code, parent=parent)
    district.full_clean()
    district.save()
    return district


def district_path_for(*, code: str, parent: District | None) -> str:
    """Materialised path of a node: the parent's path plus this code."""
    return f"{parent.path if parent else '/'}{code}/"


def check_district(district: District, *, lock: bool = False) -> str | None:
    """Refuse (`ValidationFailed`) a parent of the wrong level, which also refuses any parent
    inside the node's own subtree (市 → 区 → 街道: a node's descendants are all below the
    level its parent must have); returns the node's stored path (None for a new node).
    `lock` locks its row."""
    _check_level(district.level, district.parent)
    if district.pk is None:
        return None
    stored = District.objects.filter(pk=district.pk)
    if lock:
        stored = stored.select_for_update()
    return stored.values_list("path", flat=True).first()


def save_district(district: District) -> District:
    """Save a new or edited district (the back office) with its path, and re-path its subtree.

    A changed code or parent changes the node's `path` and, in the same transaction, the
    path of every district under it, so that the scope of the rows there follows the move.
    A parent of the wrong level is refused (and with it any parent inside the node's own
    subtree). Audit rows keep the path they were written with.
    """
    with transaction.atomic():
        old_path = check_district(district, lock=True)
        new_path = district_path_for(code=district.code, parent=district.parent)
        district.path = new_path
        district.full_clean()
        district.save()
        if old_path and old_path != new_path:
            below = District.objects.select_for_update().filter(path__startswith=old_path)
            for child in below.exclude(pk=district.pk).order_by("path"):
                child.path = new_path + child.path[len(old_path) :]
                child.save(update_fields=["path"])
    return district


def _label(level: str) -> str:
    return str(DistrictLevel(level).label)


def create_agency(*, name: str, kind: AgencyKind, district: District) -> Agency:
    """Register an agency for a city."""
    agency = Agency(name=name, kind=kind, district=district)
    agency.full_clean()
    agency.save()
    return agency


def create_unit(
    *,
    name: str,
    agency: Agency,
    level: UnitLevel,
    district: District,
    parent: Unit | None = None,
) -> Unit:
    """Add a 支队/大队/中队 under an agency."""
    if parent is not None and parent.agency_id != agency.pk:
        raise ValidationFailed("上级单位必须属于同一机构")
    unit = Unit(name=name, agency=agency, level=level, district=district, parent=parent)
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def create_officer(
    *,
    username: str,
    password: str,
    name: str,
    badge_number: str,
    unit: Unit,
    roles: list[Role],
) -> Officer:
    """Create a login account, its officer record and its role groups in one transaction."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationFailed(f"账号 {username} 已存在")
    user = user_model.objects.create_user(username=username, password=password)
    user.is_staff = any(role in STAFF_ROLES for role in roles)
    user.save(update_fields=["is_staff"])
    groups = [Group.objects.get_or_create(name=str(role.label))[0] for role in roles]
    user.groups.set(groups)
    officer = Officer(user=user, name=name, badge_number=badge_number, unit=unit)
    officer.full_clean()
    officer.save()
    return officer


def sync_role_groups() -> None:
    """Create each role's group and grant exactly the permissions listed in `roles.py`."""
    for label in OUR_APPS:
        create_permissions(django_apps.get_app_config(label), verbosity=0)
    all_ours = Permission.objects.filter(content_type__app_label__in=(*OUR_APPS, "auth"))
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role.label))
        if perms == ("*",):
            group.permissions.set(all_ours)
            continue
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)


def principal_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Principal:
    """Build the `Principal` that scoping and permission checks use for this user."""
    return principal_and_officer_for_user(user)[0]


def _loaded_officer(user: AbstractBaseUser) -> tuple[bool, Officer | None]:
    """Whether a query already loaded the user's officer record (`find_live_token` does, with
    unit and district), and that record (None: loaded, and there is none)."""
    related = getattr(getattr(type(user), "officer", None), "related", None)
    if related is None or not related.is_cached(user):
        return False, None
    found: Officer | None = related.get_cached_value(user)
    return True, found


def principal_and_officer_for_user(
    user: AbstractBaseUser | AnonymousUser | None,
) -> tuple[Principal, Officer | None]:
    """The user's `Principal` and officer record (unit, district and user loaded), in one go."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS, None
    loaded, officer = _loaded_officer(user)
    if not loaded:
        officer = selectors.find_officer_for_user(user_id=user.pk)
    if officer is not None:
        officer.user = user  # type: ignore[assignment]  # the same account, already loaded
    is_global = bool(getattr(user, "is_superuser", False))
    perms = (
        frozenset(user.get_all_permissions())
        if hasattr(user, "get_all_permissions")
        else frozenset()
    )
    principal = Principal(
        user_id=user.pk,
        username=user.get_username(),
        district_path=officer.unit.district.path if officer else None,
        is_global=is_global,
        permissions=perms,
        officer_id=officer.pk if officer else None,
        badge_number=officer.badge_number if officer else "",
    )
    return principal, officer


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(*, user: AbstractBaseUser, name: str = "officer-app") -> tuple[ApiToken, str]:
    """Create a bearer token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,  # type: ignore[misc]  # AbstractBaseUser is the configured user model
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=_digest(raw),
        expires_at=timezone.now() + TOKEN_LIFETIME,
    )
    token.full_clean()
    token.save()
    return token, raw


def authenticate_token(*, raw: str) -> AbstractBaseUser:
    """Return the user of a valid, unexpired, unrevoked token, or raise `NotAuthenticated`."""
    return find_token_user(raw=raw)[1]


def find_token_user(*, raw: str) -> tuple[ApiToken, AbstractBaseUser]:
    """The live token with this raw value and its active user, or `NotAuthenticated`."""
    now = timezone.now()
    token = selectors.find_live_token(digest=_digest(raw), now=now)
    if token is None:
        raise NotAuthenticated("令牌无效、已过期或已吊销，请重新登录")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user: AbstractBaseUser = token.user
    if not user.is_active:
        raise NotAuthenticated("账号已停用")
    return token, user


def revoke_token(*, user: AbstractBaseUser, public_id: UUID | str) -> None:
    """Revoke one of the user's own live tokens (`NotFound` for anyone else's)."""
    revoked = ApiToken.objects.filter(
        user_id=user.pk, public_id=public_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not revoked:
        raise NotFound("未找到该令牌，或已吊销")
    audit.record(
        actor=user,  # type: ignore[arg-type]  # the configured user model
        action="auth.token_revoked",
        object_type="org.apitoken",
        object_id=str(public_id),
    )


def revoke_all_tokens(*, user: AbstractBaseUser, reason: str) -> int:
    """Revoke every live token of an account (password changed, account disabled)."""
    count = ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        audit.record(
            actor=None,
            action="auth.tokens_revoked",
            object_type="auth.user",
            object_id=user.get_username()[:64],
            reason=reason,
            changes={"count": count},
        )
    return count


@dataclass(frozen=True)
class LoginResult:
    """A checked log-in: the account, the OTP device that verified it (None: no code was
    needed), and whether the account must still enrol an authenticator (session log-ins)."""

    user: User
    device: Any
    needs_enrolment: bool


def log_in(
    *,
    username: str,
    password: str,
    otp: str = "",
    ip_address: str | None,
    channel: str,
    allow_enrolment: bool,
) -> LoginResult:
    """Check a password and, where the account needs one, its one-time code; throttled.

    The throttle (`org.throttle`) refuses locked (account, source) pairs and sources with
    429 before the password is looked at; a wrong password or code counts as a failure. An
    account whose role requires two-factor and that has not enrolled gets a session that may
    only enrol (`allow_enrolment`, session log-ins) or `OtpEnrolmentRequired` (tokens).
    """
    attempt = throttle.Attempt(username=username, ip_address=ip_address or "", channel=channel)
    throttle.check_allowed(attempt)
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        throttle.record_failure(attempt, reason="password")
        raise NotAuthenticated("账号或密码错误")
    device = None
    needs_enrolment = False
    if otp_service.is_enrolled(user):
        if not otp.strip():
            raise OtpRequired()
        device = otp_service.verify_code(user=user, code=otp, ip_address=ip_address)
        if device is None:
            throttle.record_failure(attempt, reason="otp")
            raise OtpInvalid()
    elif otp_service.otp_required(user):
        if not allow_enrolment:
            raise OtpEnrolmentRequired()
        needs_enrolment = True
    throttle.record_success(
        attempt,
        user=user,
        otp="verified" if device else ("enrolment_pending" if needs_enrolment else "not_required"),
    )
    return LoginResult(user=user, device=device, needs_enrolment=needs_enrolment)


def verify_session_code(
    *, user: AbstractBaseUser, code: str, ip_address: str | None, channel: str
) -> Any:
    """Verify the one-time code of a logged-in session that still needs it; throttled like a
    log-in (a wrong code counts as a failure of this account from this source)."""
    attempt = throttle.Attempt(
        username=user.get_username(), ip_address=ip_address or "", channel=channel
    )
    throttle.check_allowed(attempt)
    device = otp_service.verify_code(user=user, code=code, ip_address=ip_address)
    if device is None:
        throttle.record_failure(attempt, reason="otp")
        raise OtpInvalid()
    throttle.record_success(attempt, user=user, otp="verified")
    return device


def exchange_password_for_token(
    *,
    username: str,
    password: str,
    device_name: str,
    otp: str = "",
    ip_address: str | None = None,
) -> tuple[ApiToken, str]:
    """Check credentials (and the one-time code where needed) and issue a token."""
    result = log_in(
        username=username,
        password=password,
        otp=otp,
        ip_address=ip_address,
        channel="api",
        allow_enrolment=False,
    )
    return issue_token(user=result.user, name=device_name[:60] or "officer-app")
