"""`/open311/discovery.{json,xml}`: the service discovery document where partners look for
it, at the root of the Open311 folder (the same document as `/open311/v2/discovery.*`).
Mounted by `smartduty.urls` as `path("open311/", include("smartduty.open311.discovery_urls"))`
after the `/open311/v2/` mount."""

from __future__ import annotations

from django.urls import re_path

from smartduty.open311 import views

urlpatterns = [
    re_path(r"^discovery\.(?P<fmt>json|xml)$", views.discovery, name="open311-discovery-root"),
]
