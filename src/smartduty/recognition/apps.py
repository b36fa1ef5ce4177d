"""Recognition: plate readings (text, confidence, colour, corners, model versions) as a port."""

from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    """Recognition app configuration; `ready()` registers the model-file start-up check."""

    name = "smartduty.recognition"
    label = "recognition"
    verbose_name = "车牌识别"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.recognition import checks  # noqa: PLC0415 - wiring only in ready()

        checks.register_checks()
