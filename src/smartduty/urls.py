"""URL map: back office, API and health check.

Media is never served directly: evidence leaves only through the API, which checks scope
and re-verifies the hash of originals. Errors Django answers itself (unhandled exception,
unknown URL) go through `errorpages`: `{code, message}` JSON under `/api/`, a Chinese page
elsewhere, never a traceback or Django's English page. `/open311/v2/` (GeoReport v2) answers
its own errors in the spec's format.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView

from smartduty import errorpages
from smartduty.api import api
from smartduty.notifications import views as notification_views
from smartduty.parking import views as parking_views

admin.site.site_header = "智慧勤务平台 · 管理后台"
admin.site.site_title = "智慧勤务平台"
admin.site.index_title = "业务管理"


def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001
    """Liveness probe for load balancers and `make run`."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(url="/app/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz),
    path("open311/v2/", include("smartduty.open311.urls")),
    path("open311/", include("smartduty.open311.discovery_urls")),
    path("o/<str:token>", parking_views.owner_page, name="parking-owner"),
    path("o/<str:token>/photo", parking_views.owner_photo, name="parking-owner-photo"),
    path("n/<str:token>", parking_views.verify_notice, name="parking-notice-verify"),
    path(
        "hooks/sms/aliyun/<str:secret>",
        notification_views.aliyun_sms_report,
        name="sms-receipt-aliyun",
    ),
    path(
        "hooks/sms/tencent/<str:secret>",
        notification_views.tencent_sms_report,
        name="sms-receipt-tencent",
    ),
    path("", include("smartduty.web.urls")),
]

handler400 = errorpages.bad_request
handler403 = errorpages.permission_denied
handler404 = errorpages.page_not_found
handler500 = errorpages.server_error
