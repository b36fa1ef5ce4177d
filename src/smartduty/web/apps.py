"""Web: serves the Vite-built single-page apps on the same origin as the API."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    """Web app configuration."""

    name = "smartduty.web"
    label = "web"
    verbose_name = "前端应用"
