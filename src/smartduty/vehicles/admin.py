"""Back office for vehicles and import jobs.

Owner phones appear only masked. “查看号码” opens a page that asks for a reason, then shows
the number once and writes an audit row (through the reveal service). “导入车辆” uploads an
.xlsx/.csv and lands on the job's page, which shows a live progress bar and the rejections.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from smartduty.kernel import audit
from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import DomainError, TooManyAttempts, ValidationFailed
from smartduty.kernel.errors import PermissionDenied as DomainPermissionDenied
from smartduty.kernel.spreadsheets import safe_row
from smartduty.org.selectors import list_districts
from smartduty.vehicles import services
from smartduty.vehicles.forms import ImportForm, RevealForm, VehicleAdminForm
from smartduty.vehicles.models import ImportJob, Vehicle
from smartduty.vehicles.plates import normalize_plate
from smartduty.vehicles.selectors import IMPORT_VEHICLES
from smartduty.vehicles.services.vehicles import REVEAL_PERMISSION

_REPORT_ROWS_SHOWN = 500


@admin.register(Vehicle)
class VehicleAdmin(ScopedAuditedAdmin):
    """Registered vehicles; the owner's phone only masked, reveals audited."""

    form = VehicleAdminForm
    change_list_template = "admin/vehicles/vehicle/change_list.html"
    list_display = (
        "plate",
        "plate_kind",
        "plate_color",
        "owner_name",
        "owner_phone_masked",
        "district",
        "updated_at",
        "reveal_link",
    )
    list_filter = ("plate_kind", "plate_color", "district")
    list_select_related = ("district",)
    search_fields = ("plate", "owner_name")
    fields = (
        "district",
        "plate",
        "plate_kind",
        "plate_color",
        "owner_name",
        "owner_phone_masked",
        "owner_phone",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("plate_kind", "owner_phone_masked", "created_at", "updated_at")

    @admin.display(description="完整号码")
    def reveal_link(self, obj: Vehicle) -> str:
        """Link to the reason form of the reveal view."""
        url = reverse("admin:vehicles_vehicle_reveal_phone", args=[obj.pk])
        return format_html('<a href="{}">查看号码</a>', url)

    def get_list_display(
        self, request: HttpRequest
    ) -> tuple[str | Callable[[Any], str | bool], ...]:
        """Hide the reveal link from users who may not reveal."""
        shown = tuple(super().get_list_display(request))
        if self.principal(request).has_perm(REVEAL_PERMISSION):
            return shown
        return tuple(name for name in shown if name != "reveal_link")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        """The plate is the identity of a vehicle: fixed once registered."""
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "plate") if obj is not None else fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """Search plates as typed (full-width, lower case, with dots) after normalising."""
        return super().get_search_results(request, queryset, normalize_plate(search_term))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Save through the services; the audit row never contains the phone."""
        data = form.cleaned_data
        if change:
            services.update_vehicle(
                vehicle=obj,
                owner_name=data["owner_name"],
                owner_phone=data.get("owner_phone") or None,
                plate_color=data.get("plate_color") or "",
                district=data["district"],
            )
        else:
            saved = services.register_vehicle(
                district=data["district"],
                plate=data["plate"],
                owner_name=data["owner_name"],
                owner_phone=data["owner_phone"],
                plate_color=data.get("plate_color") or None,
            )
            obj.pk, obj.public_id = saved.pk, saved.public_id
        changes = {
            name: "（已修改，不记录号码）" if name == "owner_phone" else str(data.get(name))
            for name in form.changed_data
        }
        audit.record(
            actor=request.user,
            action="admin.change" if change else "admin.add",
            obj=obj,
            district_path=data["district"].path,
            changes=changes,
            ip_address=client_ip(request) or None,
        )

    def get_urls(self) -> list[URLPattern]:
        """Adds the reveal and import views in front of the default ones."""
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/reveal-phone/",
                wrap(self.reveal_phone_view),
                name="vehicles_vehicle_reveal_phone",
            ),
            path("import/", wrap(self.import_view), name="vehicles_vehicle_import"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The list, plus the “导入车辆” button for users who may import."""
        context = {"can_import": self.principal(request).has_perm(IMPORT_VEHICLES)}
        return super().changelist_view(request, {**(extra_context or {}), **context})

    def reveal_phone_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask for a reason; on a valid reason show the full number once (audited)."""
        vehicle: Vehicle | None = self.get_object(request, unquote(object_id))
        if vehicle is None:
            raise Http404("未找到该车辆，或不在您的辖区范围内")
        principal = self.principal(request)
        if not principal.has_perm(REVEAL_PERMISSION):
            raise DjangoPermissionDenied
        form = RevealForm(request.POST or None)
        phone = None
        if request.method == "POST" and form.is_valid():
            try:
                phone = services.reveal_owner_phone(
                    principal=principal,
                    actor=request.user,
                    vehicle=vehicle,
                    reason=form.cleaned_data["reason"],
                    ip_address=client_ip(request) or None,
                )
            except ValidationFailed as exc:
                form.add_error("reason", exc.message)
            except TooManyAttempts as exc:  # the reveal limit (audited as a burst)
                form.add_error(None, exc.message)
            except DomainPermissionDenied as exc:
                raise DjangoPermissionDenied from exc
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"查看车主电话：{vehicle.plate}",
            "vehicle": vehicle,
            "form": form,
            "phone": phone,
        }
        return TemplateResponse(request, "admin/vehicles/vehicle/reveal_phone.html", context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a spreadsheet; creates the import job and opens its progress page."""
        principal = self.principal(request)
        if not principal.has_perm(IMPORT_VEHICLES):
            raise DjangoPermissionDenied
        districts = list_districts(principal=principal)
        form = ImportForm(request.POST or None, request.FILES or None, districts=districts)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.start_import(
                    principal=principal,
                    actor=request.user,
                    district=form.cleaned_data["district"],
                    uploaded_file=form.cleaned_data["file"],
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                self.message_user(request, f"已上传“{job.original_filename}”，正在后台导入。")
                url = reverse("admin:vehicles_importjob_change", args=[job.pk])
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "导入车辆",
            "form": form,
        }
        return TemplateResponse(request, "admin/vehicles/vehicle/import.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAuditedAdmin):
    """Import jobs, read only: progress while running, the rejection report when done."""

    change_form_template = "admin/vehicles/importjob/change_form.html"
    list_display = (
        "original_filename",
        "district",
        "status",
        "progress",
        "created_count",
        "updated_count",
        "rejected_count",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("district", "uploaded_by")
    fields = (
        "original_filename",
        "district",
        "uploaded_by",
        "status",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "rejected_count",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description="进度")
    def progress(self, obj: ImportJob) -> str:
        """`processed / total (percent)`."""
        return f"{obj.processed_rows} / {obj.total_rows}（{obj.percent}%）"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Whoever may import may follow their imports."""
        return bool(
            request.user.has_perm(IMPORT_VEHICLES) or super().has_view_permission(request, obj)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        """Jobs are created by uploading on the vehicle list."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        """Read only."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        """Kept as a record of what was imported."""
        return False

    def get_urls(self) -> list[URLPattern]:
        """Adds the JSON progress endpoint and the CSV rejection report."""
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/progress/",
                wrap(self.progress_view),
                name="vehicles_importjob_progress",
            ),
            path(
                "<path:object_id>/report.csv",
                wrap(self.report_view),
                name="vehicles_importjob_report",
            ),
            *super().get_urls(),
        ]

    def _visible_job(self, request: HttpRequest, object_id: str) -> ImportJob:
        job: ImportJob | None = self.get_object(request, unquote(object_id))
        if job is None or not self.has_view_permission(request, job):
            raise Http404("未找到该导入任务，或不在您的辖区范围内")
        return job

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The job page, with the progress bar and the first rejected rows."""
        job = self._visible_job(request, object_id)
        context = {
            **(extra_context or {}),
            "job": job,
            "progress_url": reverse("admin:vehicles_importjob_progress", args=[job.pk]),
            "report_url": reverse("admin:vehicles_importjob_report", args=[job.pk]),
            "report_rows": job.report[:_REPORT_ROWS_SHOWN],
            "report_truncated": len(job.report) > _REPORT_ROWS_SHOWN,
            "summary": _summary(job),
        }
        return super().change_view(request, object_id, form_url, context)

    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """Progress as JSON, polled by the job page."""
        job = self._visible_job(request, object_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "is_finished": job.is_finished,
                "total_rows": job.total_rows,
                "processed_rows": job.processed_rows,
                "percent": job.percent,
                "created_count": job.created_count,
                "updated_count": job.updated_count,
                "rejected_count": job.rejected_count,
                "summary": _summary(job),
            }
        )

    def report_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The full rejection report as a CSV that Excel opens (UTF-8 with BOM)."""
        job = self._visible_job(request, object_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["行号", "车牌号", "原因"])
        for item in job.report:  # plates come from the uploaded sheet: never a formula
            writer.writerow(safe_row([item.get("row"), item.get("plate"), item.get("reason")]))
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="import-{job.public_id}.csv"'
        return response


def _summary(job: ImportJob) -> str:
    return (
        f"{job.get_status_display()}：已处理 {job.processed_rows} / {job.total_rows} 行"
        f"（{job.percent}%），新增 {job.created_count}，更新 {job.updated_count}，"
        f"拒绝 {job.rejected_count}"
    )
