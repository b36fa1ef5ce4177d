"""Org reads. Everything a principal sees starts from `visible_to`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db.models import QuerySet

from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal
from smartduty.org.models import ApiToken, District, Officer, Unit
from smartduty.org.states import Role


def find_officer_for_user(*, user_id: int) -> Officer | None:
    """The officer record of a login account, with unit and district loaded."""
    return (
        Officer.objects.select_related("unit__district", "unit__agency")
        .filter(user_id=user_id)
        .first()
    )


def find_live_token(*, digest: str, now: datetime) -> ApiToken | None:
    """An unrevoked, unexpired token by digest, with its user and the user's officer record
    (unit, district, agency) loaded in the same query: every app request needs them."""
    return (
        ApiToken.objects.select_related(
            "user", "user__officer__unit__district", "user__officer__unit__agency"
        )
        .filter(digest=digest, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )


def list_districts(*, principal: Principal) -> QuerySet[District]:
    """Districts inside the principal's subtree, in tree order."""
    return District.objects.visible_to(principal, "org.view_district").select_related("parent")


def get_district(*, principal: Principal, public_id: UUID) -> District:
    """One visible district, or `NotFound`."""
    district = list_districts(principal=principal).filter(public_id=public_id).first()
    if district is None:
        raise NotFound("未找到该辖区，或不在您的辖区范围内")
    return district


def list_units(*, principal: Principal) -> QuerySet[Unit]:
    """Units whose district is in the principal's subtree."""
    return Unit.objects.visible_to(principal, "org.view_unit").select_related(
        "agency", "district", "parent"
    )


def get_unit(*, principal: Principal, public_id: UUID) -> Unit:
    """One visible unit, or `NotFound`."""
    unit = list_units(principal=principal).filter(public_id=public_id).first()
    if unit is None:
        raise NotFound("未找到该单位，或不在您的辖区范围内")
    return unit


def list_officers(*, principal: Principal) -> QuerySet[Officer]:
    """Officers of units in the principal's subtree."""
    return Officer.objects.visible_to(principal, "org.view_officer").select_related(
        "unit__district", "unit__agency", "user"
    )


def get_officer(*, principal: Principal, public_id: UUID) -> Officer:
    """One visible officer, or `NotFound`."""
    officer = list_officers(principal=principal).filter(public_id=public_id).first()
    if officer is None:
        raise NotFound("未找到该人员，或不在您的辖区范围内")
    return officer


def list_role_names(*, user_id: int) -> list[str]:
    """Names of the role groups of an account."""
    return list(Group.objects.filter(user__id=user_id).values_list("name", flat=True))


def list_nearest_officers_with_role(*, district: District, role: Role) -> list[Officer]:
    """The active officers with `role` whose unit serves the nearest level at or above
    `district` that has any: a street's case goes to its own 指挥中心 when the street has one,
    else to the district's, else to the city's (never to a sibling district's, nor to every
    level above at once). Used by the system to address alerts, not scoped to a principal."""
    parts = [code for code in district.path.split("/") if code]
    ancestors = ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
    officers = list(
        Officer.objects.filter(
            is_active=True,
            user__is_active=True,
            user__groups__name=str(role.label),
            unit__district__path__in=ancestors,
        )
        .select_related("unit__district")
        .distinct()
        .order_by("badge_number")
    )
    if not officers:
        return []
    nearest = max(len(officer.unit.district.path) for officer in officers)
    return [officer for officer in officers if len(officer.unit.district.path) == nearest]


def list_live_tokens(*, user_id: int, now: datetime) -> QuerySet[ApiToken]:
    """An account's unrevoked, unexpired tokens, newest first."""
    return ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True, expires_at__gt=now)


Actor = User | AnonymousUser | None
"""Who did something: a user, or nobody (the system: a timer, the worker)."""


def actor_name(actor: Actor) -> str:
    """How timelines name who acted: the officer and badge, else the username, else 系统."""
    if actor is None or not actor.is_authenticated:
        return "系统"
    officer = getattr(actor, "officer", None)
    return f"{officer.name}（{officer.badge_number}）" if officer else actor.get_username()
