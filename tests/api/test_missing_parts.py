"""A request that meets a missing part gets a 503 with a Chinese message, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from smartduty.evidence.models import Photo
from smartduty.org.models import Officer
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status
from tests.factories.parking import jpeg_bytes, report_in

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]
NO_FONT = "/nonexistent/fonts/no-such-cjk-font.ttc"  # Pillow also tries the bare file name


@pytest.mark.parametrize("layout", ["a6", "thermal80"])
def test_notice_pdf_without_the_font_is_a_503_in_chinese(
    officer_a: Officer, api_client: ApiClient, layout: str
) -> None:
    report = report_in(Status.NOTICE_POSTED, officer_a)
    client = api_client(officer_a)
    url = f"/api/v1/parking-reports/{report.public_id}/notice.pdf"
    with override_settings(EVIDENCE_FONT_PATH=NO_FONT):
        resp = client.get(url, {"layout": layout})
    assert resp.status_code == 503
    body = resp.json()
    assert body["code"] == "service_unavailable"
    assert "中文字体" in body["message"]
    assert "fonts-wqy-microhei" in body["message"]
    assert NO_FONT not in body["message"]  # server paths stay in the log
    # the same request with the font installed prints
    assert client.get(url, {"layout": layout}).status_code == 200


def test_upload_without_the_watermark_font_is_a_503_and_stores_nothing(
    officer_a: Officer, api_client: ApiClient
) -> None:
    client = api_client(officer_a)
    photo = SimpleUploadedFile("scene.jpg", jpeg_bytes(), content_type="image/jpeg")
    with override_settings(EVIDENCE_FONT_PATH=NO_FONT):
        resp = client.post(
            "/api/v1/parking-reports", {"file": photo, "plate_read": "鲁PA12345", "place": "人民路"}
        )
    assert resp.status_code == 503, resp.content
    body = resp.json()
    assert body["code"] == "service_unavailable"
    assert "水印" in body["message"]
    assert not ParkingReport.objects.exists()
    assert not Photo.objects.exists()
