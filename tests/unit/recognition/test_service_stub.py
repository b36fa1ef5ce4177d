"""`read_plate` and `read_plate_in_picture` (the service), `get_recognizer` (the selector) and
the `StubRecognizer`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.test import override_settings
from PIL import Image

from smartduty.kernel.errors import PayloadTooLarge, ValidationFailed
from smartduty.recognition import selectors, services
from smartduty.recognition.engine import ModelsMissing
from smartduty.recognition.ports import ImageInput, PlateRecognizer, Recognition
from smartduty.recognition.providers.stub import StubRecognizer
from smartduty.vehicles.plates import PlateColor
from tests.factories.parking import jpeg_bytes


def test_stub_answers_the_configured_plate() -> None:
    stub = StubRecognizer("鲁pa 1234", confidence=0.6, color=PlateColor.YELLOW)
    assert isinstance(stub, PlateRecognizer)
    result = stub.recognize(b"photo")
    assert result.best is not None
    assert result.best.text == "鲁PA1234"
    assert result.best.color == PlateColor.YELLOW
    assert result.needs_review  # 0.6 is below the review threshold
    assert stub.calls == [5]
    assert StubRecognizer(None).recognize(b"x").best is None


def test_read_plate_uses_the_recognizer_in_use() -> None:
    stub = StubRecognizer("京B12345")
    with selectors.use_recognizer(stub):
        result = services.read_plate(data=jpeg_bytes())
    assert result.best is not None
    assert result.best.text == "京B12345"
    assert not result.needs_review


def test_read_plate_refuses_empty_and_oversized_photos() -> None:
    stub = StubRecognizer()
    with pytest.raises(ValidationFailed):
        services.read_plate(data=b"", recognizer=stub)
    with override_settings(EVIDENCE_MAX_BYTES=10), pytest.raises(PayloadTooLarge):
        services.read_plate(data=b"x" * 11, recognizer=stub)


def test_missing_models_are_503(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> PlateRecognizer:
        raise ModelsMissing("none")

    monkeypatch.setattr(selectors, "get_recognizer", missing)
    with pytest.raises(services.RecognitionUnavailable) as caught:
        services.read_plate(data=jpeg_bytes())
    assert caught.value.status == 503


def test_saturated_process_answers_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_slots", None)
    with override_settings(RECOGNITION_CONCURRENCY=1, RECOGNITION_WAIT_SECONDS=0.01):
        slots = services._semaphore()
        slots.acquire()
        try:
            with pytest.raises(services.RecognitionUnavailable, match="繁忙"):
                services.read_plate(data=jpeg_bytes(), recognizer=StubRecognizer())
        finally:
            slots.release()
    monkeypatch.setattr(services, "_slots", None)


def test_get_recognizer_builds_once_and_reports_models(hyperlpr3_dir: Path, tmp_path: Path) -> None:
    selectors.reset_recognizer()
    try:
        with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[hyperlpr3_dir]):
            first = selectors.get_recognizer()
            assert selectors.get_recognizer() is first
            assert first.model_set.startswith("hyperlpr3-det320")
            report = selectors.list_models()
            assert report.model_set == first.model_set
            assert all(f.path is not None for f in report.files if f.role != "text_detector")
    finally:
        selectors.reset_recognizer()


def test_recognition_defaults() -> None:
    empty = Recognition()
    assert empty.best is None
    assert empty.needs_review


class _Keeping(StubRecognizer):
    """The stub, keeping the images it was given."""

    def __init__(self) -> None:
        super().__init__("京B12345")
        self.images: list[ImageInput] = []

    def recognize(self, image: ImageInput) -> Recognition:
        self.images.append(image)
        return super().recognize(image)


def test_a_decoded_picture_is_read_as_the_bgr_array_of_the_port() -> None:
    keeping = _Keeping()
    picture = Image.new("RGB", (64, 48), (250, 10, 20))
    result = services.read_plate_in_picture(picture=picture, recognizer=keeping)
    assert result.best is not None
    [image] = keeping.images
    assert isinstance(image, np.ndarray)
    assert image.shape == (48, 64, 3)
    assert image.flags.c_contiguous
    assert tuple(image[0, 0]) == (20, 10, 250)  # blue, green, red
    grey = services.read_plate_in_picture(picture=Image.new("L", (8, 6), 7), recognizer=keeping)
    assert grey.best is not None
    last = keeping.images[-1]
    assert isinstance(last, np.ndarray)
    assert last.shape == (6, 8, 3)


def test_a_suggestion_is_none_when_no_reader_can_run(monkeypatch: pytest.MonkeyPatch) -> None:
    picture = Image.new("RGB", (64, 48))
    best = services.suggest_plate(picture=picture, recognizer=StubRecognizer("京B12345"))
    assert best is not None
    assert best.text == "京B12345"
    assert services.suggest_plate(picture=picture, recognizer=StubRecognizer(None)) is None

    def missing() -> PlateRecognizer:
        raise ModelsMissing("none")

    monkeypatch.setattr(selectors, "get_recognizer", missing)
    assert services.suggest_plate(picture=picture) is None
