"""Recognition API: read the plate in an uploaded photo (authenticated, nothing stored)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from smartduty.org.models import Officer
from smartduty.recognition import selectors
from smartduty.recognition.engine.catalog import wheel_model_dir
from smartduty.recognition.providers.stub import StubRecognizer
from smartduty.vehicles.plates import PlateColor
from tests.factories.parking import jpeg_bytes

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]
URL = "/api/v1/plates/read"
HYPERLPR3 = Path(__file__).resolve().parents[2].parent / "shared" / "models" / "hyperlpr3"


def _photo(data: bytes | None = None) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile("scene.jpg", data or jpeg_bytes(), "image/jpeg")}


def test_returns_the_reading_for_one_tap_confirmation(
    officer_a: Officer, api_client: ApiClient
) -> None:
    stub = StubRecognizer("鲁pa12345", confidence=0.97, color=PlateColor.GREEN_SMALL)
    with selectors.use_recognizer(stub):
        resp = api_client(officer_a).post(URL, _photo())
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["plate"] == "鲁PA12345"
    assert body["color"] == "green_small"
    assert body["color_label"] == "渐变绿牌"
    assert body["confidence"] == pytest.approx(0.97)
    assert body["needs_review"] is False
    assert body["box"] == [100, 200, 340, 280]
    assert body["model_set"] == "stub"
    assert len(body["candidates"]) == 1
    assert len(body["candidates"][0]["corners"]) == 4
    assert len(stub.calls) == 1


def test_a_photo_without_plate_is_not_an_error(officer_a: Officer, api_client: ApiClient) -> None:
    with selectors.use_recognizer(StubRecognizer(None)):
        resp = api_client(officer_a).post(URL, _photo())
    assert resp.status_code == 200
    assert resp.json()["plate"] is None
    assert resp.json()["needs_review"] is True
    assert resp.json()["candidates"] == []


def test_low_confidence_asks_for_review(officer_a: Officer, api_client: ApiClient) -> None:
    with selectors.use_recognizer(StubRecognizer("京B12345", confidence=0.4)):
        body = api_client(officer_a).post(URL, _photo()).json()
    assert body["needs_review"] is True
    assert body["candidates"][0]["needs_review"] is True


def test_names_the_characters_to_check(officer_a: Officer, api_client: ApiClient) -> None:
    weak = (0.99, 0.98, 0.97, 0.42, 0.99, 0.31, 0.96)
    stub = StubRecognizer("京B12345", confidence=0.6, char_confidences=weak)
    with selectors.use_recognizer(stub):
        body = api_client(officer_a).post(URL, _photo()).json()
    assert body["char_confidences"] == pytest.approx(list(weak))
    assert body["unsure_positions"] == [3, 5]
    assert body["candidates"][0]["unsure_positions"] == [3, 5]
    assert body["needs_review"] is True
    with selectors.use_recognizer(StubRecognizer("京B12345", confidence=0.97)):
        clear = api_client(officer_a).post(URL, _photo()).json()
    assert clear["unsure_positions"] == []
    with selectors.use_recognizer(StubRecognizer(None)):
        none = api_client(officer_a).post(URL, _photo()).json()
    assert (none["char_confidences"], none["unsure_positions"]) == ([], [])


def test_needs_authentication() -> None:
    with selectors.use_recognizer(StubRecognizer()):
        resp = Client().post(URL, _photo())
    assert resp.status_code == 401


def test_missing_file_is_422(officer_a: Officer, api_client: ApiClient) -> None:
    assert api_client(officer_a).post(URL, {}).status_code == 422


def test_too_large_is_413(officer_a: Officer, api_client: ApiClient) -> None:
    with override_settings(EVIDENCE_MAX_BYTES=100), selectors.use_recognizer(StubRecognizer()):
        resp = api_client(officer_a).post(URL, _photo())
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"


def test_without_models_it_is_503_with_a_chinese_message(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("smartduty.recognition.engine.wheel_model_dir", lambda: None)
    selectors.reset_recognizer()
    try:
        with override_settings(RECOGNITION_MODEL_DIRS=[], VAR_DIR=tmp_path):
            resp = api_client(officer_a).post(URL, _photo())
    finally:
        selectors.reset_recognizer()
    assert resp.status_code == 503
    assert resp.json()["code"] == "recognition_unavailable"
    assert "手动输入" in resp.json()["message"]


def test_real_engine_reads_garbage_as_422(
    officer_a: Officer, api_client: ApiClient, tmp_path: Path
) -> None:
    if wheel_model_dir() is None:
        pytest.skip("rapidocr_onnxruntime is not installed")
    dirs = [HYPERLPR3] if HYPERLPR3.is_dir() else []
    selectors.reset_recognizer()
    try:
        with override_settings(RECOGNITION_MODEL_DIRS=dirs, VAR_DIR=tmp_path):
            bad = api_client(officer_a).post(URL, _photo(b"\xff\xd8\xff not really a jpeg"))
            good = api_client(officer_a).post(URL, _photo())
    finally:
        selectors.reset_recognizer()
    assert bad.status_code == 422
    assert good.status_code == 200
    assert good.json()["plate"] is None
    assert good.json()["model_versions"]
