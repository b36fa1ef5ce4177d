"""Back office of the grid layer: grids of the user's subtree and their units per agency."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from smartduty.grids import services
from smartduty.grids.models import Grid, GridUnit
from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.org.models import Unit


class GridUnitInline(admin.TabularInline):  # type: ignore[type-arg]
    """Who handles the grid for each kind of agency (one row per kind)."""

    model = GridUnit
    extra = 0
    fields = ("agency_kind", "unit")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "unit":
            parent = self.admin_site._registry[Grid]
            assert isinstance(parent, ScopedAuditedAdmin)  # noqa: S101 - registered below
            kwargs["queryset"] = Unit.objects.visible_to(parent.principal(request)).select_related(
                "agency"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Grid)
class GridAdmin(ScopedAuditedAdmin):
    """单元网格: code, name, district and polygon (GeoJSON). The bounding box is computed on
    save; importing a whole layer is `manage.py import_grids <file.geojson> --district <code>`."""

    list_display = ("code", "name", "district", "active", "updated_at")
    list_filter = ("active", "district")
    search_fields = ("code", "name")
    list_select_related = ("district",)
    readonly_fields = ("public_id", "min_lat", "max_lat", "min_lon", "max_lon", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "district", "active")}),
        ("范围", {"fields": ("geometry", ("min_lat", "max_lat"), ("min_lon", "max_lon"))}),
        ("记录", {"fields": ("public_id", "updated_at")}),
    )
    inlines = (GridUnitInline,)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        services.fill_derived(obj)
        super().save_model(request, obj, form, change)
        services.layer_changed()

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        services.layer_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        services.layer_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Grid]) -> None:
        super().delete_queryset(request, queryset)
        services.layer_changed()
