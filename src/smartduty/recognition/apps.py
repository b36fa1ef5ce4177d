"""Recognition: plate readings (text, confidence, colour, corners, model versions) as a port."""

from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    """Recognition app configuration."""

    name = "smartduty.recognition"
    label = "recognition"
    verbose_name = "车牌识别"
    default_auto_field = "django.db.models.BigAutoField"
