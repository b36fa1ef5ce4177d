"""An in-memory owner lookup: the test fake, also handy for demos without data."""

from __future__ import annotations

from smartduty.kernel.crypto import mask_phone
from smartduty.vehicles.plates import normalize_plate
from smartduty.vehicles.ports import OwnerContact


class InMemoryOwnerLookup:
    """`OwnerLookup` over a dict; records every plate it was asked about in `calls`."""

    def __init__(self, owners: dict[str, tuple[str, str]] | None = None) -> None:
        """`owners` maps a plate (any spelling) to `(name, phone)`."""
        self._owners: dict[str, OwnerContact] = {}
        self.calls: list[str] = []
        for plate, (name, phone) in (owners or {}).items():
            self.add(plate, name=name, phone=phone)

    def add(self, plate: str, *, name: str, phone: str) -> None:
        """Register (or replace) the owner of a plate."""
        self._owners[normalize_plate(plate)] = OwnerContact(
            name=name, phone=phone, masked=mask_phone(phone)
        )

    def lookup(self, plate: str) -> OwnerContact | None:
        """The owner added for this plate, or None."""
        normalized = normalize_plate(plate)
        self.calls.append(normalized)
        return self._owners.get(normalized)
