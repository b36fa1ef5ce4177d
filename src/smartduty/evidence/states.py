"""Enumerations of the evidence app: what a photo shows, and which file formats we accept."""

from __future__ import annotations

from typing import Final

from django.db import models


class PhotoKind(models.TextChoices):
    """What a photo documents in a case."""

    SCENE = "scene", "现场照片"
    RECHECK = "recheck", "复查照片"
    NOTICE = "notice", "告知单照片"
    OTHER = "other", "其他"


ACCEPTED_MIME_TYPES: Final = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
"""MIME types of originals we store; the real format is sniffed, never taken from the client."""
