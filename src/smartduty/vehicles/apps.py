"""Vehicles: plate normalisation and validation (GA 36-2018), the registry of owners, owner lookup."""

from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    """Vehicles app configuration."""

    name = "smartduty.vehicles"
    label = "vehicles"
    verbose_name = "车辆信息"
    default_auto_field = "django.db.models.BigAutoField"
