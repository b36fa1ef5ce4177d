"""Org use cases: the district tree, officers, tokens, role groups and principals."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.apps import apps as django_apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission, User
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.errors import NotAuthenticated, TooManyAttempts, ValidationFailed
from smartduty.kernel.models import AuditEntry
from smartduty.kernel.scoping import ANONYMOUS, Principal
from smartduty.org import selectors
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


def create_district(
    *, code: str, name: str, level: DistrictLevel, parent: District | None = None
) -> District:
    """Add a node to the district tree, enforcing 市 → 区 → 街道."""
    expected_parent_level = _LEVEL_UNDER[level]
    if expected_parent_level is None and parent is not None:
        raise ValidationFailed("市级辖区不能有上级")
    if expected_parent_level is not None and (
        parent is None or parent.level != expected_parent_level
    ):
        raise ValidationFailed(
            f"{DistrictLevel(level).label}的上级必须是{_label(expected_parent_level)}"
        )
    district = District(code=code, name=name, level=level, parent=parent)
    district.path = district_path_for(code=code, parent=parent)
    district.full_clean()
    district.save()
    return district


def district_path_for(*, code: str, parent: District | None) -> str:
    """Materialised path of a node: the parent's path plus this code."""
    return f"{parent.path if parent else '/'}{code}/"


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
    now = timezone.now()
    token = selectors.find_live_token(digest=_digest(raw), now=now)
    if token is None:
        raise NotAuthenticated("令牌无效、已过期或已吊销，请重新登录")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user: AbstractBaseUser = token.user
    if not user.is_active:
        raise NotAuthenticated("账号已停用")
    return user


def revoke_token(*, user: AbstractBaseUser, public_id: str) -> None:
    """Revoke one of the user's own tokens."""
    ApiToken.objects.filter(user_id=user.pk, public_id=public_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT = timedelta(minutes=15)


def authenticate_password(*, username: str, password: str, ip_address: str | None = None) -> User:
    """Check a password, with a lockout after repeated failures for the same account.

    After `LOGIN_FAILURE_LIMIT` wrong passwords within `LOGIN_LOCKOUT`, further attempts are
    refused (429) until the window passes, even with the right password. Failures and
    lockouts are audit rows, so the back office sees guessing attempts.
    """
    since = timezone.now() - LOGIN_LOCKOUT
    failures = AuditEntry.objects.filter(
        action="auth.login_failed", object_id=username[:64], at__gte=since
    ).count()
    if failures >= LOGIN_FAILURE_LIMIT:
        audit.record(
            actor=None,
            action="auth.login_locked",
            object_type="auth.user",
            object_id=username[:64],
            ip_address=ip_address,
        )
        raise TooManyAttempts("密码错误次数过多，账号已临时锁定 15 分钟，请稍后再试")
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        audit.record(
            actor=None,
            action="auth.login_failed",
            object_type="auth.user",
            object_id=username[:64],
            ip_address=ip_address,
        )
        raise NotAuthenticated("账号或密码错误")
    return user


def exchange_password_for_token(
    *, username: str, password: str, device_name: str, ip_address: str | None = None
) -> tuple[ApiToken, str]:
    """Check credentials and issue a token, with one Chinese message for every failure."""
    user = authenticate_password(username=username, password=password, ip_address=ip_address)
    return issue_token(user=user, name=device_name[:60] or "officer-app")
