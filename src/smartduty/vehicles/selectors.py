"""Vehicle reads. Everything a principal sees starts from `visible_to`."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal
from smartduty.vehicles.models import ImportJob, Vehicle
from smartduty.vehicles.plates import normalize_plate
from smartduty.vehicles.ports import OwnerLookup

VIEW_VEHICLE = "vehicles.view_vehicle"
IMPORT_VEHICLES = "vehicles.import_vehicles"
DEFAULT_OWNER_LOOKUP = "smartduty.vehicles.providers.registry.RegistryOwnerLookup"


def list_vehicles(*, principal: Principal, plate: str | None = None) -> QuerySet[Vehicle]:
    """Vehicles registered in the principal's subtree; `plate` filters by (normalised) prefix."""
    qs = Vehicle.objects.visible_to(principal, VIEW_VEHICLE).select_related("district")
    if plate:
        qs = qs.filter(plate__startswith=normalize_plate(plate))
    return qs


def get_vehicle(*, principal: Principal, public_id: UUID) -> Vehicle:
    """One visible vehicle, or `NotFound`."""
    vehicle = list_vehicles(principal=principal).filter(public_id=public_id).first()
    if vehicle is None:
        raise NotFound("未找到该车辆，或不在您的辖区范围内")
    return vehicle


def find_vehicle_by_plate(*, plate: str) -> Vehicle | None:
    """The vehicle with this plate (any spelling), whatever its district. Internal use only."""
    return Vehicle.objects.select_related("district").filter(plate=normalize_plate(plate)).first()


def map_plates_to_district_paths(*, plates: Collection[str]) -> dict[str, str]:
    """For already registered plates among `plates` (normalised): plate → district path."""
    rows = Vehicle.objects.filter(plate__in=list(plates)).values_list("plate", "district__path")
    return dict(rows)


def find_import_job(*, job_id: int) -> ImportJob | None:
    """An import job by primary key (for the background task)."""
    return ImportJob.objects.select_related("district").filter(pk=job_id).first()


def get_owner_lookup() -> OwnerLookup:
    """The configured owner-lookup adapter (`settings.VEHICLES_OWNER_LOOKUP`, a dotted path).

    Defaults to `RegistryOwnerLookup`, which reads our own Vehicle table.
    """
    path: str = getattr(settings, "VEHICLES_OWNER_LOOKUP", DEFAULT_OWNER_LOOKUP)
    adapter = import_string(path)()
    if not isinstance(adapter, OwnerLookup):
        raise TypeError(f"{path} does not implement vehicles.ports.OwnerLookup")
    return adapter
