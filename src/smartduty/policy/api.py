"""Policy endpoints: effective rules, version history, and edits (each a new version)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router

from smartduty.org.auth import principal_of
from smartduty.org.selectors import get_district
from smartduty.policy import selectors, services
from smartduty.policy.models import DistrictPolicy
from smartduty.policy.schemas import EffectivePolicyOut, PolicyPatch, PolicyVersionOut
from smartduty.policy.selectors import EffectivePolicy

router = Router(tags=["policy"])


@router.get("/districts/{public_id}/policy", response=EffectivePolicyOut)
def get_policy(request: HttpRequest, public_id: UUID) -> EffectivePolicy:
    """The rules in force for a district (its own, inherited, or built-in defaults)."""
    district = get_district(principal=principal_of(request), public_id=public_id)
    return selectors.get_effective_policy(district=district)


@router.get("/districts/{public_id}/policy/versions", response=list[PolicyVersionOut])
def list_policy_versions(request: HttpRequest, public_id: UUID) -> list[DistrictPolicy]:
    """Every version of the district's own policy, newest first."""
    principal = principal_of(request)
    get_district(principal=principal, public_id=public_id)
    return list(selectors.list_policy_versions(principal=principal, district_public_id=public_id))


@router.patch("/districts/{public_id}/policy", response=PolicyVersionOut)
def update_policy(request: HttpRequest, public_id: UUID, payload: PolicyPatch) -> DistrictPolicy:
    """Change a district's rules. Creates the next version and writes an audit row."""
    principal = principal_of(request)
    district = get_district(principal=principal, public_id=public_id)
    data = payload.dict(exclude={"reason", "expected_version"})
    return services.update_policy(
        principal=principal,
        actor=request.user,
        district=district,
        changes=services.PolicyChanges(**data),
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
