"""Recognition endpoints: read the plate in an uploaded photo (nothing is stored)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Router, UploadedFile

from smartduty.recognition import services
from smartduty.recognition.ports import PlateCandidate, Recognition
from smartduty.recognition.schemas import PlateCandidateOut, PlateReadingOut
from smartduty.vehicles.plates import PlateColor

router = Router(tags=["recognition"])


def _candidate(c: PlateCandidate) -> PlateCandidateOut:
    return PlateCandidateOut(
        plate=c.text,
        confidence=c.confidence,
        char_confidences=list(c.char_confidences),
        unsure_positions=list(c.unsure_positions),
        color=c.color.value,
        color_label=str(PlateColor(c.color).label),
        box=list(c.box),
        corners=[[x, y] for x, y in c.corners],
        needs_review=c.needs_review,
    )


def _reading(result: Recognition) -> PlateReadingOut:
    best = result.best
    return PlateReadingOut(
        plate=best.text if best else None,
        confidence=best.confidence if best else 0.0,
        char_confidences=list(best.char_confidences) if best else [],
        unsure_positions=list(best.unsure_positions) if best else [],
        color=best.color.value if best else None,
        color_label=str(PlateColor(best.color).label) if best else None,
        box=list(best.box) if best else None,
        needs_review=result.needs_review,
        candidates=[_candidate(c) for c in result.candidates],
        model_set=result.model_set,
        model_versions=list(result.model_versions),
        ms=result.ms,
        image_size=list(result.image_size),
    )


@router.post("/plates/read", response=PlateReadingOut)
def read_plate(request: HttpRequest, file: File[UploadedFile]) -> PlateReadingOut:  # noqa: ARG001
    """Read the licence plate(s) in a photo for one-tap confirmation (the photo is not kept).

    `plate` is the most likely target (large, central, sharp); `needs_review` asks the officer
    to confirm or type it. A photo without a plate gives `plate: null`, not an error.
    """
    # size (the declared one first), format and pixel count are checked, with the evidence
    # upload's limits and messages, before any decoding
    return _reading(services.read_plate(data=file))
