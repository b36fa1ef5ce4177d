"""Vehicle endpoints: the registry (masked), audited phone reveals, and plate validation."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from smartduty.kernel.clientip import client_ip
from smartduty.kernel.pagination import BoundedLimitOffsetPagination
from smartduty.org.auth import principal_of
from smartduty.vehicles import selectors, services
from smartduty.vehicles.models import Vehicle
from smartduty.vehicles.plates import PlateColor, PlateKind, check_plate
from smartduty.vehicles.schemas import (
    PhoneRevealIn,
    PhoneRevealOut,
    PlateValidateIn,
    PlateValidateOut,
    VehicleOut,
)

router = Router(tags=["vehicles"])


@router.get("/vehicles", response=list[VehicleOut])
@paginate(BoundedLimitOffsetPagination)
def list_vehicles(request: HttpRequest, plate: str | None = None) -> QuerySet[Vehicle]:
    """Vehicles registered in my subtree; `plate` matches a prefix of the normalised plate."""
    return selectors.list_vehicles(principal=principal_of(request), plate=plate)


@router.get("/vehicles/{public_id}", response=VehicleOut)
def get_vehicle(request: HttpRequest, public_id: UUID) -> Vehicle:
    """One vehicle of my subtree; the owner's phone is masked."""
    return selectors.get_vehicle(principal=principal_of(request), public_id=public_id)


@router.post("/vehicles/{public_id}/phone-reveals", response={201: PhoneRevealOut})
def reveal_phone(
    request: HttpRequest, response: HttpResponse, public_id: UUID, payload: PhoneRevealIn
) -> Status[PhoneRevealOut]:
    """Show the owner's full phone and name once. Needs `vehicles.reveal_owner_phone` and a
    reason (at least 4 characters); every reveal is written to the audit log. Everywhere
    else both leave masked (`138****0000`, `张**`)."""
    principal = principal_of(request)
    vehicle = selectors.get_vehicle(principal=principal, public_id=public_id)
    phone = services.reveal_owner_phone(
        principal=principal,
        actor=request.user,
        vehicle=vehicle,
        reason=payload.reason,
        ip_address=client_ip(request) or None,
    )
    response["Cache-Control"] = "no-store"
    return Status(
        201, PhoneRevealOut(phone=phone, owner_name=vehicle.owner_name, revealed_at=timezone.now())
    )


@router.post("/plates/validate", response=PlateValidateOut)
def validate_plate(request: HttpRequest, payload: PlateValidateIn) -> PlateValidateOut:  # noqa: ARG001
    """Normalise and validate a plate (GA 36-2018); suggests O→0 / I→1 fixes when invalid."""
    result = check_plate(payload.plate)
    return PlateValidateOut(
        valid=result.valid,
        normalized=result.normalized,
        kind=result.kind.value if result.kind else None,
        kind_label=str(PlateKind(result.kind).label) if result.kind else None,
        color=result.color.value if result.color else None,
        color_label=str(PlateColor(result.color).label) if result.color else None,
        message=result.message,
        suggestions=list(result.suggestions),
    )
