"""Vehicles: plate normalisation and validation (GA 36-2018), the vehicle and owner registry
(owner phones encrypted at rest, reveals audited), bulk imports, and the owner-lookup port.
"""

from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    """Vehicles app configuration. `ready()` connects the import-job receiver."""

    name = "smartduty.vehicles"
    label = "vehicles"
    verbose_name = "车辆信息"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.vehicles import (  # noqa: PLC0415 - wiring only in ready()
            events,
            tasks,
            timers,
        )

        events.import_job_created.connect(
            tasks.enqueue_import_job, dispatch_uid="vehicles.enqueue_import_job"
        )
        events.import_job_requeued.connect(
            tasks.enqueue_import_job, dispatch_uid="vehicles.requeue_import_job"
        )
        timers.register()
        from smartduty.kernel.rotation import (  # noqa: PLC0415
            EncryptedField,
            register_encrypted_field,
        )
        from smartduty.vehicles.models import Vehicle  # noqa: PLC0415

        register_encrypted_field(
            "vehicles.owner_phone", EncryptedField(Vehicle, "owner_phone_encrypted")
        )
