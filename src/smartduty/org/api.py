"""Org endpoints: tokens, the current account, districts, units and officers."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import NotFound
from smartduty.org import selectors, services
from smartduty.org.auth import officer_of, principal_of, token_of
from smartduty.org.models import District, Officer, Unit
from smartduty.org.schemas import (
    ApiTokenOut,
    DistrictOut,
    MeOut,
    OfficerOut,
    TokenIn,
    TokenOut,
    UnitOut,
)

router = Router(tags=["org"])


@router.post("/auth/tokens", response={201: TokenOut}, auth=None)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    """Log in with username and password (and `otp` where the account has two-factor);
    returns a bearer token for the officer app, valid 30 days. Throttled per account and
    source address: 429 with `Retry-After`."""
    token, raw = services.exchange_password_for_token(
        username=payload.username,
        password=payload.password,
        device_name=payload.device_name,
        otp=payload.otp,
        ip_address=client_ip(request),
    )
    return Status(201, TokenOut(token=raw, expires_at=token.expires_at))


@router.get("/auth/tokens", response=list[ApiTokenOut])
def list_tokens(request: HttpRequest) -> list[ApiTokenOut]:
    """My live tokens (devices logged in), newest first; `is_current` marks this request's."""
    user_id = principal_of(request).user_id
    assert user_id is not None  # noqa: S101 - auth guarantees a user
    current = token_of(request)
    return [
        ApiTokenOut(
            public_id=token.public_id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            is_current=current is not None and current.pk == token.pk,
        )
        for token in selectors.list_live_tokens(user_id=user_id, now=timezone.now())
    ]


@router.delete("/auth/tokens/current", response={204: None})
def revoke_current_token(request: HttpRequest) -> Status[None]:
    """Log out: revoke the token this request carries (404 for a session)."""
    current = token_of(request)
    if current is None:
        raise NotFound("当前请求未使用令牌；网页登录请使用退出登录")
    services.revoke_token(user=current.user, public_id=current.public_id)
    return Status(204, None)


@router.delete("/auth/tokens/{public_id}", response={204: None})
def revoke_token(request: HttpRequest, public_id: UUID) -> Status[None]:
    """Revoke one of my tokens (a lost phone, say); 404 for anyone else's."""
    services.revoke_token(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    return Status(204, None)


@router.get("/me", response=MeOut)
def get_me(request: HttpRequest) -> MeOut:
    """The logged-in account, its unit, roles and permissions."""
    principal = principal_of(request)
    assert principal.user_id is not None  # noqa: S101 - auth guarantees a user
    officer = officer_of(request)
    return MeOut(
        username=principal.username,
        name=officer.name if officer else principal.username,
        badge_number=principal.badge_number,
        unit=officer.unit.name if officer else None,
        unit_id=officer.unit.public_id if officer else None,
        agency_kind=officer.unit.agency.kind if officer else None,  # type: ignore[arg-type]  # AgencyKind values
        district=officer.unit.district.name if officer else None,
        district_id=officer.unit.district.public_id if officer else None,
        roles=selectors.list_role_names(user_id=principal.user_id),
        permissions=sorted(principal.permissions),
    )


@router.get("/districts", response=list[DistrictOut])
def list_districts(request: HttpRequest) -> list[District]:
    """Districts in my subtree."""
    return list(selectors.list_districts(principal=principal_of(request)))


@router.get("/districts/{public_id}", response=DistrictOut)
def get_district(request: HttpRequest, public_id: UUID) -> District:
    """One district of my subtree."""
    return selectors.get_district(principal=principal_of(request), public_id=public_id)


@router.get("/units", response=list[UnitOut])
def list_units(request: HttpRequest) -> list[Unit]:
    """Units responsible for districts in my subtree."""
    return list(selectors.list_units(principal=principal_of(request)))


@router.get("/units/{public_id}", response=UnitOut)
def get_unit(request: HttpRequest, public_id: UUID) -> Unit:
    """One unit."""
    return selectors.get_unit(principal=principal_of(request), public_id=public_id)


@router.get("/officers", response=list[OfficerOut])
def list_officers(request: HttpRequest) -> list[Officer]:
    """Officers of units in my subtree."""
    return list(selectors.list_officers(principal=principal_of(request)))


@router.get("/officers/{public_id}", response=OfficerOut)
def get_officer(request: HttpRequest, public_id: UUID) -> Officer:
    """One officer."""
    return selectors.get_officer(principal=principal_of(request), public_id=public_id)
