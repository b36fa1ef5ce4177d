"""Vehicle use cases (writes): registering vehicles, revealing owner phones, bulk imports."""

from smartduty.vehicles.services.imports import (
    IMPORT_CHUNK_ROWS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    import_vehicles,
    start_import,
)
from smartduty.vehicles.services.vehicles import (
    MIN_REASON_CHARS,
    register_vehicle,
    reveal_owner_phone,
    update_vehicle,
)

__all__ = [
    "IMPORT_CHUNK_ROWS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "MIN_REASON_CHARS",
    "import_vehicles",
    "register_vehicle",
    "reveal_owner_phone",
    "start_import",
    "update_vehicle",
]
