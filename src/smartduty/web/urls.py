"""URLs of the built front ends: the officer app at /app/, the command centre at /command/."""

from django.urls import path, re_path

from smartduty.web import views

urlpatterns = [
    path("app/sw.js", views.service_worker, name="web-officer-sw"),
    path("app/manifest.webmanifest", views.web_manifest, name="web-officer-manifest"),
    path("app/", views.spa_index, {"app": "officer"}, name="web-officer"),
    re_path(r"^app/(?P<rest>.+)$", views.spa_index, {"app": "officer"}),
    path("command/", views.spa_index, {"app": "command"}, name="web-command"),
    re_path(r"^command/(?P<rest>.+)$", views.spa_index, {"app": "command"}),
    path("web/config.json", views.web_config, name="web-config"),
    path("web/session", views.session, name="web-session"),
    path("web/otp/", views.otp_page, name="web-otp"),
    path("web/otp/setup", views.otp_setup, name="web-otp-setup"),
    path("web/otp/confirm", views.otp_confirm, name="web-otp-confirm"),
    path("web/otp/verify", views.otp_verify, name="web-otp-verify"),
]
