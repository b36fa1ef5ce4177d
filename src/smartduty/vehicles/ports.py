"""What the vehicles app offers other apps as a port: owner contact lookup by plate.

Adapters live in `providers/`: `registry` (our own Vehicle table, the default) and `memory`
(an in-memory fake for tests and demos). A vendor adapter (e.g. a traffic-police data
exchange) would implement the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class OwnerContact:
    """How to reach a vehicle's owner.

    `phone` is the plain number, for handing to an SMS sender only: never display or log it
    (it is left out of `repr`). Show `masked` (`138****0000`) instead.
    """

    name: str
    phone: str = field(repr=False)
    masked: str


@runtime_checkable
class OwnerLookup(Protocol):
    """Finds the owner of a vehicle by plate."""

    def lookup(self, plate: str) -> OwnerContact | None:
        """The owner's contact for a plate (any spelling; adapters normalise), or None."""
        ...
