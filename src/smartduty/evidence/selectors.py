"""Evidence reads. Everything a principal sees starts from `Photo.objects.visible_to`."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from smartduty.evidence.models import Blob, Photo
from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal


def list_photos(*, principal: Principal) -> QuerySet[Photo]:
    """Photos of districts in the principal's subtree, newest first (needs `view_photo`)."""
    return Photo.objects.visible_to(principal, "evidence.view_photo").select_related(
        "blob", "district", "uploaded_by"
    )


def get_photo(*, principal: Principal, public_id: UUID) -> Photo:
    """One visible photo, or `NotFound` (missing and out of scope look the same)."""
    photo = list_photos(principal=principal).filter(public_id=public_id).first()
    if photo is None:
        raise NotFound("未找到该照片，或不在您的辖区范围内")
    return photo


def find_blob(*, sha256: str) -> Blob | None:
    """The stored original with this content hash, if any (not scoped: internal use only)."""
    return Blob.objects.filter(sha256=sha256).first()


def is_storage_name_referenced(*, name: str) -> bool:
    """Does any row point at this stored file (an original or a display copy)?"""
    return (
        Blob.objects.filter(storage_name=name).exists()
        or Photo.objects.filter(display_name=name).exists()
    )
