"""Evidence: photos and files, content-addressed by SHA-256, with capture time and place."""

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Evidence app configuration."""

    name = "smartduty.evidence"
    label = "evidence"
    verbose_name = "证据管理"
    default_auto_field = "django.db.models.BigAutoField"
