"""Evidence endpoints: upload a photo, read its facts, fetch the display copy or the original.

Files leave only through here: scope is checked on every request and originals are re-hashed
before they are sent.
"""

from __future__ import annotations

import io
from typing import Any, Final
from uuid import UUID

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from smartduty.evidence import selectors, services
from smartduty.evidence.models import Photo
from smartduty.evidence.schemas import PhotoOut, PhotoUploadIn
from smartduty.org.auth import officer_of, principal_of
from smartduty.org.selectors import get_district

router = Router(tags=["evidence"])


def _binary(mime: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": "文件内容",
                "content": {mime: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


_IMAGE: Final = "image/*"


@router.post("/photos", response={201: PhotoOut})
def upload_photo(
    request: HttpRequest, file: File[UploadedFile], form: Form[PhotoUploadIn]
) -> Status[Photo]:
    """Upload an evidence photo (JPEG, PNG, WebP or HEIC, at most 20 MB and 50 megapixels).

    The original is kept unchanged under its SHA-256; a watermarked copy is made for display.
    """
    principal = principal_of(request)
    district = get_district(principal=principal, public_id=form.district_id)
    officer = officer_of(request)
    photo = services.store_photo(
        principal=principal,
        officer=officer,
        district=district,
        data=file,
        filename=file.name or "",
        client_lat=form.client_lat,
        client_lon=form.client_lon,
        client_accuracy_m=form.client_accuracy_m,
        place=form.place,
        kind=form.kind,
    )
    return Status(201, photo)


@router.get("/photos/{public_id}", response=PhotoOut)
def get_photo(request: HttpRequest, public_id: UUID) -> Photo:
    """One photo of my subtree."""
    return selectors.get_photo(principal=principal_of(request), public_id=public_id)


@router.get(
    "/photos/{public_id}/display",
    url_name="evidence-photo-display",
    openapi_extra=_binary("image/jpeg"),
)
def get_photo_display(request: HttpRequest, public_id: UUID) -> FileResponse:
    """The watermarked display copy (JPEG, at most 2048 px on its long side)."""
    photo = selectors.get_photo(principal=principal_of(request), public_id=public_id)
    data = services.open_display(photo=photo, actor=request.user)
    response = FileResponse(io.BytesIO(data), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response


@router.get(
    "/photos/{public_id}/original",
    url_name="evidence-photo-original",
    openapi_extra=_binary(_IMAGE),
)
def get_photo_original(request: HttpRequest, public_id: UUID) -> FileResponse:
    """The original file, byte for byte, after re-checking its SHA-256 (409 if it changed)."""
    photo = selectors.get_photo(principal=principal_of(request), public_id=public_id)
    data = services.open_original(photo=photo, actor=request.user)
    response = FileResponse(
        io.BytesIO(data),
        content_type=photo.blob.mime_type,
        filename=photo.original_filename,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = photo.blob.sha256
    return response
