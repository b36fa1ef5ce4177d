"""API schemas of the evidence app."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from smartduty.evidence.models import Photo
from smartduty.evidence.states import PhotoKind


def photo_file_url(photo: Photo, which: str) -> str:
    """API path of a photo's `display` or `original` file."""
    return reverse(f"api-v1:evidence-photo-{which}", kwargs={"public_id": photo.public_id})


class PhotoUploadIn(Schema):
    """Form fields sent with an uploaded photo (multipart, next to the `file` part)."""

    district_id: UUID = Field(description="照片所属辖区")
    client_lat: float | None = Field(default=None, description="终端定位纬度（WGS-84）")
    client_lon: float | None = Field(default=None, description="终端定位经度（WGS-84）")
    client_accuracy_m: float | None = Field(default=None, description="终端定位精度（米）")
    place: str = Field(default="", max_length=200, description="地点描述，如“人民路 88 号门前”")
    kind: PhotoKind = Field(default=PhotoKind.SCENE, description="照片类别")


class PhotoOut(Schema):
    """An evidence photo: hashes, capture facts and where to fetch its two files."""

    public_id: UUID
    kind: str
    district_id: UUID
    sha256: str
    size: int
    mime: str
    width: int
    height: int
    original_filename: str
    received_at: datetime
    device_taken_at: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    client_lat: float | None
    client_lon: float | None
    client_accuracy_m: float | None
    place: str
    uploaded_by: str | None
    display_url: str
    original_url: str

    @staticmethod
    def resolve_district_id(obj: Photo) -> UUID:
        return obj.district.public_id

    @staticmethod
    def resolve_sha256(obj: Photo) -> str:
        return obj.blob.sha256

    @staticmethod
    def resolve_size(obj: Photo) -> int:
        return obj.blob.size_bytes

    @staticmethod
    def resolve_mime(obj: Photo) -> str:
        return obj.blob.mime_type

    @staticmethod
    def resolve_width(obj: Photo) -> int:
        return obj.blob.width

    @staticmethod
    def resolve_height(obj: Photo) -> int:
        return obj.blob.height

    @staticmethod
    def resolve_uploaded_by(obj: Photo) -> str | None:
        return obj.uploaded_by.badge_number if obj.uploaded_by is not None else None

    @staticmethod
    def resolve_display_url(obj: Photo) -> str:
        return photo_file_url(obj, "display")

    @staticmethod
    def resolve_original_url(obj: Photo) -> str:
        return photo_file_url(obj, "original")
