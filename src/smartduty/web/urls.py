"""URLs of the built front ends (filled in by the front-end work)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
