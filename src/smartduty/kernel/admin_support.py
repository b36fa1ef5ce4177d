"""Back-office building blocks: scoping and auditing for every ModelAdmin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import admin
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest

from smartduty.kernel import audit
from smartduty.kernel.clientip import client_ip
from smartduty.kernel.scoping import Principal, ScopedQuerySet


def _client_ip(request: HttpRequest) -> str | None:
    return client_ip(request) or None


class ScopedAuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic over any model
    """A ModelAdmin that shows only rows in the user's district subtree and audits changes.

    `principal_factory` is set once by the org app (kernel knows no apps).
    """

    principal_factory: ClassVar[Callable[[Any], Principal] | None] = None

    def principal(self, request: HttpRequest) -> Principal:
        """The principal of the logged-in back-office user."""
        factory = ScopedAuditedAdmin.principal_factory
        if factory is None:
            raise TypeError("ScopedAuditedAdmin.principal_factory is not configured")
        cached: Principal | None = getattr(request, "_smartduty_principal", None)
        if cached is None:
            cached = factory(request.user)
            request._smartduty_principal = cached  # type: ignore[attr-defined]
        return cached

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        qs = super().get_queryset(request)
        if not isinstance(qs, ScopedQuerySet):
            return qs
        return qs.visible_to(self.principal(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        manager_qs = related._default_manager.all()
        if isinstance(manager_qs, ScopedQuerySet) and "queryset" not in kwargs:
            kwargs["queryset"] = manager_qs.visible_to(self.principal(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        changes = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
        audit.record(
            actor=request.user,
            action="admin.change" if change else "admin.add",
            obj=obj,
            changes=changes,
            ip_address=_client_ip(request),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(
            actor=request.user, action="admin.delete", obj=obj, ip_address=_client_ip(request)
        )
        super().delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """For append-only tables: nobody adds, edits or deletes through the back office."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False
