"""Back office for evidence photos: read-only, with thumbnails and hash re-verification.

Photos are evidence: nobody adds, edits or deletes them here. Images are served by
admin-only views that apply the same district scoping as the list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from smartduty.evidence import services
from smartduty.evidence.models import Photo
from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.kernel.errors import IntegrityViolation

_FILE_FIELDS = ("sha256", "size_text", "mime", "dimensions", "storage_name")
_DISPLAY_FIELDS = ("display_name", "display_sha256")


def _describe(report: services.IntegrityReport) -> str:
    parts = []
    for check in (report.original, report.display):
        label = "原件" if check.role == "original" else "展示图"
        if check.ok:
            parts.append(f"{label}一致（SHA-256 {check.expected_sha256[:16]}…）")
        elif check.actual_sha256 is None:
            parts.append(f"{label}缺失或无法读取")
        else:
            expected, actual = check.expected_sha256[:16], check.actual_sha256[:16]
            parts.append(f"{label}不一致：登记 {expected}…，实际 {actual}…")
    return "；".join(parts)


@admin.register(Photo)
class PhotoAdmin(ScopedAuditedAdmin):
    """Evidence photos of the user's districts. Read only; “校验原件” re-hashes the files."""

    list_display = (
        "thumbnail",
        "kind",
        "received_at",
        "device_taken_at",
        "uploaded_by",
        "district",
        "sha256_prefix",
    )
    list_filter = ("kind",)
    list_select_related = ("blob", "district", "uploaded_by")
    search_fields = ("blob__sha256", "uploaded_by__badge_number", "place")
    date_hierarchy = "received_at"
    actions = ("verify_selected",)
    fieldsets = (
        (
            "照片",
            {
                "fields": (
                    "display_preview",
                    "public_id",
                    "kind",
                    "district",
                    "uploaded_by",
                    "place",
                    "original_filename",
                )
            },
        ),
        (
            "时间与位置",
            {
                "fields": (
                    "received_at",
                    "device_taken_at",
                    ("exif_lat", "exif_lon"),
                    ("client_lat", "client_lon", "client_accuracy_m"),
                )
            },
        ),
        ("原件与完整性", {"fields": (*_FILE_FIELDS, *_DISPLAY_FIELDS)}),
    )
    readonly_fields = (
        "display_preview",
        "public_id",
        "kind",
        "district",
        "uploaded_by",
        "place",
        "original_filename",
        "received_at",
        "device_taken_at",
        "exif_lat",
        "exif_lon",
        "client_lat",
        "client_lon",
        "client_accuracy_m",
        *_FILE_FIELDS,
        *_DISPLAY_FIELDS,
    )

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(view)

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/thumbnail/", wrap(self.thumbnail_view), name=f"{prefix}_thumbnail"
            ),
            path("<path:object_id>/display/", wrap(self.display_view), name=f"{prefix}_display"),
            path("<path:object_id>/verify/", wrap(self.verify_view), name=f"{prefix}_verify"),
            *super().get_urls(),
        ]

    def _photo_or_404(self, request: HttpRequest, object_id: str) -> Photo:
        photo = self.get_object(request, unquote(object_id))
        if photo is None or not self.has_view_permission(request, photo):
            raise Http404("未找到该照片，或不在您的辖区范围内")
        return photo  # type: ignore[no-any-return]  # ModelAdmin is untyped over its model

    def thumbnail_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A small JPEG of the display copy, for the list."""
        data = services.render_thumbnail(photo=self._photo_or_404(request, object_id))
        if data is None:
            raise Http404("展示图文件缺失")
        response = HttpResponse(data, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def display_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The verified display copy, for the detail page."""
        photo = self._photo_or_404(request, object_id)
        try:
            data = services.open_display(photo=photo, actor=request.user)
        except IntegrityViolation as exc:
            return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
        response = HttpResponse(data, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=300"
        return response

    def verify_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: re-hash the original and the display copy, report, and return to the detail."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        photo = self._photo_or_404(request, object_id)
        report = services.verify_photo(photo=photo, actor=request.user)
        if report.ok:
            self.message_user(request, f"校验通过：{_describe(report)}", messages.SUCCESS)
        else:
            self.message_user(request, f"校验失败：{_describe(report)}", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:evidence_photo_change", args=[quote(photo.pk)]))

    @admin.action(description="校验所选照片原件", permissions=["view"])
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        """Re-hash every selected photo and report the failures one by one."""
        checked = failed = 0
        for photo in queryset.select_related("blob", "district"):
            report = services.verify_photo(photo=photo, actor=request.user)
            checked += 1
            if not report.ok:
                failed += 1
                self.message_user(
                    request, f"{photo}：校验失败。{_describe(report)}", level=messages.ERROR
                )
        if failed == 0:
            self.message_user(
                request, f"已校验 {checked} 张照片，原件与展示图均完整", messages.SUCCESS
            )
        else:
            self.message_user(
                request, f"已校验 {checked} 张照片，其中 {failed} 张校验失败", messages.WARNING
            )

    @admin.display(description="缩略图")
    def thumbnail(self, obj: Photo) -> SafeString:
        url = reverse("admin:evidence_photo_thumbnail", args=[quote(obj.pk)])
        return format_html(
            '<img src="{}" alt="缩略图" loading="lazy" style="max-width:96px;max-height:96px">',
            url,
        )

    @admin.display(description="展示图")
    def display_preview(self, obj: Photo) -> SafeString:
        url = reverse("admin:evidence_photo_display", args=[quote(obj.pk)])
        return format_html('<img src="{}" alt="展示图" style="max-width:640px;width:100%">', url)

    @admin.display(description="SHA-256", ordering="blob__sha256")
    def sha256_prefix(self, obj: Photo) -> str:
        return f"{obj.blob.sha256[:12]}…"

    @admin.display(description="原件 SHA-256")
    def sha256(self, obj: Photo) -> str:
        return obj.blob.sha256

    @admin.display(description="大小")
    def size_text(self, obj: Photo) -> str:
        return f"{obj.blob.size_bytes} 字节（{obj.blob.size_bytes / 1024 / 1024:.2f} MB）"

    @admin.display(description="文件类型")
    def mime(self, obj: Photo) -> str:
        return obj.blob.mime_type

    @admin.display(description="像素尺寸")
    def dimensions(self, obj: Photo) -> str:
        return f"{obj.blob.width} × {obj.blob.height}"

    @admin.display(description="原件存储路径")
    def storage_name(self, obj: Photo) -> str:
        return obj.blob.storage_name
