"""Open311 GeoReport v2 (`/open311/v2/`): the case core's categories as services and its
public cases as service requests, for partner systems (the 12345 hotline, a city app).

Owns the partners' API keys and what a service request brings besides its case (which key
sent it, the media URL it named, the reporter's contact, encrypted at rest and erased after
the case ends).
"""

from django.apps import AppConfig


class Open311Config(AppConfig):
    """Open311 app configuration; `ready()` registers the encrypted contact column, the
    contact erasure timer and the receiver of `cases.events.case_ended`."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "smartduty.open311"
    label = "open311"
    verbose_name = "Open311 接口"

    def ready(self) -> None:
        from smartduty.cases.events import case_ended  # noqa: PLC0415
        from smartduty.kernel.rotation import (  # noqa: PLC0415 - wiring only in ready()
            EncryptedField,
            register_encrypted_field,
        )
        from smartduty.open311 import receivers, timers  # noqa: PLC0415
        from smartduty.open311.models import PublicReport  # noqa: PLC0415

        register_encrypted_field(
            "open311.contact", EncryptedField(PublicReport, "contact_encrypted")
        )
        timers.register()
        case_ended.connect(receivers.on_case_ended, dispatch_uid="open311.case_ended")
