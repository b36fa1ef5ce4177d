"""Reading a plate from an uploaded photo.

`read_plate(data=...)` is what the API, the CLI and other apps call with a photo's bytes;
`read_plate_in_picture(picture=...)` (and `suggest_plate`) reads an image that evidence decoded
already (a parking report's photo: `evidence.services.prepare_photo(keep_picture=True)`), so
the photo is decoded once for both. Either bounds how many photos are read at once (one per core by
default, `settings.RECOGNITION_CONCURRENCY`), so that a burst of uploads queues here for a few
tens of milliseconds instead of starving every other request of CPU; a photo that cannot get a
slot within `RECOGNITION_WAIT_SECONDS` (10 s) is refused with 503 rather than piling up.
Recognition touches no rows.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import IO

import numpy as np
from django.conf import settings
from PIL import Image

from smartduty.evidence import services as evidence
from smartduty.kernel.errors import DomainError
from smartduty.recognition import selectors
from smartduty.recognition.engine import ModelsMissing
from smartduty.recognition.ports import ImageInput, PlateCandidate, PlateRecognizer, Recognition

logger = logging.getLogger("smartduty.recognition")


class RecognitionUnavailable(DomainError):
    """No recogniser can run now: models missing, or too many photos waiting."""

    status = 503
    code = "recognition_unavailable"
    default_message = "车牌识别暂不可用，请手动输入车牌号"


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _semaphore() -> threading.BoundedSemaphore:
    global _slots  # noqa: PLW0603 - one bound per process, sized from settings on first use
    with _slots_lock:
        if _slots is None:
            size = int(getattr(settings, "RECOGNITION_CONCURRENCY", 0) or os.cpu_count() or 1)
            _slots = threading.BoundedSemaphore(max(1, size))
        return _slots


def read_plate(
    *, data: bytes | IO[bytes], recognizer: PlateRecognizer | None = None
) -> Recognition:
    """Every plate in the photo, the most likely target first; empty when there is none.

    Raises `ValidationFailed` for an empty file or bytes that are not a photo,
    `PayloadTooLarge` above the evidence limits (`EVIDENCE_MAX_BYTES`, `EVIDENCE_MAX_PIXELS`,
    checked from the header before decoding: `evidence.services.check_upload`, the one place
    of those limits) and `RecognitionUnavailable` (503) when no model is installed or the
    process is saturated. The officer always confirms or types the plate: a reading is a
    suggestion, flagged `needs_review` when not confident.
    """
    # a photo that could never become evidence is refused before a pixel of it is decoded
    return _recognize(evidence.check_upload(data).content, recognizer)


def read_plate_in_picture(
    *, picture: Image.Image, recognizer: PlateRecognizer | None = None
) -> Recognition:
    """`read_plate` for a photo evidence has decoded: an upright image, which is not decoded
    again (`PreparedPhoto.picture`, at most the display side, within the evidence limits).

    Positions in the answer are in the picture's pixels. Raises `RecognitionUnavailable`.
    """
    rgb = np.asarray(picture.convert("RGB") if picture.mode != "RGB" else picture)
    return _recognize(np.ascontiguousarray(rgb[:, :, ::-1]), recognizer)  # BGR, as the port


def suggest_plate(
    *, picture: Image.Image, recognizer: PlateRecognizer | None = None
) -> PlateCandidate | None:
    """The most likely plate in a decoded picture (`read_plate_in_picture`), for a caller to
    whom a reading is a suggestion: None as well when no reader can run now (no models, busy)
    or the picture cannot be read."""
    try:
        return read_plate_in_picture(picture=picture, recognizer=recognizer).best
    except DomainError:
        return None


def _recognize(image: ImageInput, recognizer: PlateRecognizer | None) -> Recognition:
    try:
        engine = recognizer or selectors.get_recognizer()
    except ModelsMissing as exc:
        logger.warning("plate recognition unavailable: %s", exc)
        raise RecognitionUnavailable() from exc
    slots = _semaphore()
    wait = float(getattr(settings, "RECOGNITION_WAIT_SECONDS", 10.0))
    if not slots.acquire(timeout=wait):
        raise RecognitionUnavailable("车牌识别繁忙，请稍后重试或手动输入车牌号")
    try:
        result = engine.recognize(image)
    finally:
        slots.release()
    logger.info(
        "plate read: %d plate(s), %.1f ms (models %.1f ms), %s",
        len(result.candidates),
        result.ms,
        result.model_ms,
        result.model_set,
    )
    return result
