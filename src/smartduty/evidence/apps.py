"""Evidence: photos and files, content-addressed by SHA-256, with capture time and place.

Owns the untouched originals (`Blob`), the photos that use them (`Photo`), the watermarked
display copies, and the re-verification of hashes whenever an original is read.
"""

from django.apps import AppConfig
from django.conf import settings


class EvidenceConfig(AppConfig):
    """Evidence app configuration. `ready()` sets Pillow's pixel limit and enables HEIC."""

    name = "smartduty.evidence"
    label = "evidence"
    verbose_name = "证据管理"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.evidence import imaging  # noqa: PLC0415 - wiring only in ready()

        imaging.configure(max_pixels=settings.EVIDENCE_MAX_PIXELS)
