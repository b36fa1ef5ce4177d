from django.apps import AppConfig


class GridsConfig(AppConfig):
    """The grid layer (单元网格): grids with their polygons and 15-digit codes, the unit that
    handles each grid per kind of agency, the point-in-polygon lookup that routes a case."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "smartduty.grids"
    label = "grids"
    verbose_name = "单元网格"
