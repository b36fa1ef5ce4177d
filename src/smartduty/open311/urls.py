"""`/open311/v2/` (GeoReport v2). The service request id is the case number
(`AJ-<district code>-<yyyymmdd>-<nnnn>`); a token is 32 hex digits."""

from __future__ import annotations

from django.urls import re_path

from smartduty.open311 import views

_FMT = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^services{_FMT}$", views.services_list, name="open311-services"),
    re_path(
        rf"^services/(?P<service_code>[A-Za-z0-9]{{1,8}}){_FMT}$",
        views.service_definition,
        name="open311-service",
    ),
    re_path(rf"^requests{_FMT}$", views.requests, name="open311-requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[A-Za-z0-9-]{{1,40}}){_FMT}$",
        views.request_detail,
        name="open311-request",
    ),
    re_path(
        rf"^tokens/(?P<token_id>[A-Za-z0-9_-]{{1,64}}){_FMT}$",
        views.token,
        name="open311-token",
    ),
    re_path(rf"^discovery{_FMT}$", views.discovery, name="open311-discovery"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
