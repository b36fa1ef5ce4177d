"""Owner lookup from our own registry (the Vehicle table), the default adapter.

It reads the table directly (the one adapter that is local), decrypting the phone only to
hand it to the caller, which passes it to an SMS sender and never displays it.
"""

from __future__ import annotations

from smartduty.kernel.crypto import decrypt_text
from smartduty.vehicles.models import Vehicle
from smartduty.vehicles.plates import normalize_plate
from smartduty.vehicles.ports import OwnerContact


class RegistryOwnerLookup:
    """`OwnerLookup` backed by `vehicles.Vehicle`."""

    def lookup(self, plate: str) -> OwnerContact | None:
        """The registered owner of a plate, or None when it is not registered."""
        row = (
            Vehicle.objects.filter(plate=normalize_plate(plate))
            .values_list("owner_name", "owner_phone_encrypted", "owner_phone_masked")
            .first()
        )
        if row is None:
            return None
        name, encrypted, masked = row
        return OwnerContact(name=name, phone=decrypt_text(encrypted), masked=masked)
