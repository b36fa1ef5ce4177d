"""The plate-reading pipeline: detect → rectify → classify colour → read → decode → rank.

1. The photo is decoded upright (EXIF) and shrunk to about 2048 px (`images`).
2. The 320 px HyperLPR3 detector finds plates with their 4 corners (or, without it, the
   wheel-shipped PP-OCRv4 text detector finds plate-shaped text).
3. The few most promising detections are rectified by their corners into 48 px crops,
   slightly widened, and read by PP-OCRv4; decoding is constrained by the GA 36 grammar and
   weighs 7 against 8 characters by the colour classifier (green plates are new-energy ones).
4. A reading below `retry_below` (or none) is read again from a tighter and a wider crop (the
   detector's corners may clip an end character) and the crops are averaged; still below it,
   the first crop with its contrast stretched is read too, and kept where it makes the
   reading likelier (once one plate of the photo reads surely, the less promising detections
   get one look each, without these retries). If the best reading is still below
   `large_detector_below`, or nothing was found, the 640 px detector looks again: a plate it
   finds again is read from its finer corners and keeps the better reading of the two passes
   (or both averaged); a plate only it finds is added.
5. Plates are ranked as the photo's likely subject: confident reading, large, central, sharp,
   not cut by the frame's edge.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from smartduty.recognition.engine import color as colors
from smartduty.recognition.engine.decode import (
    Reading,
    char_confidences,
    ctc_log_prob,
    decode,
    log_prior,
)
from smartduty.recognition.engine.detector import Detection, PlateDetector
from smartduty.recognition.engine.images import Decoded, decode_photo, from_array
from smartduty.recognition.engine.reader import REC_HEIGHT, CharacterReader
from smartduty.recognition.engine.rectify import rectify, sharpness, stretch_contrast
from smartduty.recognition.engine.sessions import FloatArray, Stopwatch
from smartduty.recognition.engine.textdet import TextRegionDetector
from smartduty.recognition.ports import ImageInput, PlateCandidate, Recognition
from smartduty.vehicles.plates import LENGTH_NEV, LENGTH_ORDINARY

_SURELY_NOT = 0.01
_BOTH = (LENGTH_ORDINARY, LENGTH_NEV)


@dataclass(frozen=True)
class EngineConfig:
    """Tunable knobs; the defaults are what the benchmark in `bench/plates.py` measured."""

    margin: tuple[float, float] = (0.0, 0.06)
    """Crop margin (fraction of plate width, height) for the first reading."""
    retry_margin: tuple[float, float] = (-0.02, 0.0)
    """Crop margin of the second reading, for plates read below `retry_below`."""
    wide_margin: tuple[float, float] | None = (0.08, 0.06)
    """Crop margin of a wider crop read with the second one (`None`: not read)."""
    stretch: float = 1.25
    retry_below: float = 0.8
    """A reading below this is read again from more crops (0.5 left a 0.68 night plate whose
    last T the wider crop reads surely as a 7; 0.7-0.9 read the same dev photos)."""
    large_detector_below: float = 0.3
    sure_enough: float = 0.8
    """Once a plate reads at least this surely, the other detections are read without retries."""
    max_plates: int = 3
    """How many detections of one detector are read (the most promising ones)."""
    min_detection_score: float = 0.3
    color_weight: float = 1.0
    """How strongly the colour classifier's green/not-green pulls towards 8/7 characters."""


@dataclass
class _Plate:
    detection: Detection
    reading: Reading
    score: float
    color_guess: colors.ColorGuess
    sharpness: float
    crop: npt.NDArray[np.uint8]
    probs: list[FloatArray]
    """The reader's frames of every crop read of this plate (averaged by `_choose`)."""
    rank: float = 0.0


@dataclass(frozen=True)
class _Photo:
    decoded: Decoded
    watch: Stopwatch
    notes: list[str] = field(default_factory=list)
    memo: dict[tuple[int, int | str], tuple[FloatArray, Any]] = field(default_factory=dict)
    """Decoding results per crop's frames (by identity; the frames are kept alongside, so an
    id is never reused while its entry lives): `_choose` weighs the same frames again as more
    crops are read, and once more with both lengths when the classifier was wrong."""

    @property
    def image(self) -> npt.NDArray[np.uint8]:
        return self.decoded.image

    def once(self, frames: FloatArray, key: int | str, compute: Callable[[], Any]) -> Any:
        """`compute()` for these frames and key, remembered for the rest of the photo."""
        hit = self.memo.get((id(frames), key))
        if hit is not None and hit[0] is frames:
            return hit[1]
        value = compute()
        self.memo[id(frames), key] = (frames, value)
        return value


class PlateEngine:
    """The offline plate reader. Thread-safe: per-call state lives on the stack."""

    def __init__(
        self,
        *,
        reader: CharacterReader,
        detector: PlateDetector | None = None,
        detector_large: PlateDetector | None = None,
        text_detector: TextRegionDetector | None = None,
        classifier: colors.ColorClassifier | None = None,
        model_set: str = "",
        model_versions: tuple[str, ...] = (),
        config: EngineConfig | None = None,
    ) -> None:
        if detector is None and text_detector is None:
            raise ValueError("the engine needs a plate detector or a text detector")
        self.reader = reader
        self.detector = detector
        self.detector_large = detector_large
        self.text_detector = text_detector
        self.classifier = classifier
        self.model_set = model_set
        self.model_versions = model_versions
        self.config = config or EngineConfig()

    # -- the port -----------------------------------------------------------------------------

    def recognize(self, image: ImageInput) -> Recognition:
        """Every plate in the photo, the most likely target first (empty when there is none)."""
        started = time.perf_counter()
        decoded = decode_photo(image) if isinstance(image, bytes) else from_array(image)
        decode_ms = (time.perf_counter() - started) * 1000.0
        photo = _Photo(decoded=decoded, watch=Stopwatch())
        plates = self._first_pass(photo)
        best = max((p.reading.confidence for p in plates), default=0.0)
        if self.detector_large is not None and best < self.config.large_detector_below:
            photo.notes.append("large_detector")
            found = self.detector_large.detect(photo.image, photo.watch)
            plates = self._second_pass(photo, plates, found)
        candidates = self._rank(photo, plates)
        return Recognition(
            candidates=candidates,
            model_versions=self.model_versions,
            model_set=self.model_set,
            ms=round((time.perf_counter() - started) * 1000.0, 2),
            model_ms=round(photo.watch.model_ms, 2),
            decode_ms=round(decode_ms, 2),
            image_size=decoded.size,
            notes=tuple(photo.notes),
        )

    # -- steps ----------------------------------------------------------------------------------

    def _first_pass(self, photo: _Photo) -> list[_Plate]:
        if self.detector is not None:
            found = self.detector.detect(photo.image, photo.watch)
        else:
            assert self.text_detector is not None  # noqa: S101 - checked in __init__
            found = self.text_detector.detect(photo.image, photo.watch)
        return self._read_detections(photo, found)

    def _read_detections(self, photo: _Photo, found: list[Detection]) -> list[_Plate]:
        plates: list[_Plate] = []
        for detection in self._promising(photo, found):
            # once a plate reads surely, the less promising detections get one look each
            sure = any(p.reading.confidence >= self.config.sure_enough for p in plates)
            plate = self._read_one(photo, detection, retries=not sure)
            if plate is not None:
                plates.append(plate)
        return plates

    def _promising(self, photo: _Photo, found: list[Detection]) -> list[Detection]:
        """The few detections worth reading: likeliest subjects first."""
        height, width = photo.image.shape[:2]
        usable = [d for d in found if d.score >= self.config.min_detection_score]
        usable.sort(key=lambda d: _prior(d, width, height), reverse=True)
        return usable[: self.config.max_plates]

    def _second_pass(
        self, photo: _Photo, plates: list[_Plate], found: list[Detection]
    ) -> list[_Plate]:
        """Fold the large detector's findings in. A plate the first pass already read keeps the
        best of three readings: the first pass's, the new corners' (finer on a small plate), and
        both passes' crops averaged; a plate only the large detector found is added."""
        for detection in self._promising(photo, found):
            again = self._read_one(photo, detection)
            if again is None:
                continue
            same = max(plates, key=lambda p: _iou(p.detection.box, detection.box), default=None)
            if same is None or _iou(same.detection.box, detection.box) <= 0.5:
                plates.append(again)
                continue
            probs = same.probs + again.probs
            both = self._choose(photo, probs, same.color_guess)
            if again.reading.score > same.reading.score:
                same.detection, same.reading, same.score = detection, again.reading, again.score
                same.crop, same.sharpness = again.crop, again.sharpness
                same.color_guess, same.probs = again.color_guess, again.probs
            if both is not None and both.score > same.reading.score:
                same.reading, same.probs = both, probs
        return plates

    def _crop(
        self, image: npt.NDArray[np.uint8], detection: Detection, margin: tuple[float, float]
    ) -> npt.NDArray[np.uint8]:
        mx, my = margin
        if not detection.double_layer:
            return rectify(
                image,
                detection.corners,
                height=REC_HEIGHT,
                mx=mx,
                my=my,
                stretch=self.config.stretch,
            )
        # double-layer plates (yellow trucks): the top 40 % holds the province and letter;
        # both rows are read as one line, side by side
        tall = rectify(image, detection.corners, height=REC_HEIGHT * 2, mx=mx, my=my)
        line = int(tall.shape[0] * 0.4)
        top = cv2.resize(tall[:line], (tall.shape[1] // 2, REC_HEIGHT))
        bottom = cv2.resize(tall[line:], (tall.shape[1], REC_HEIGHT))
        return np.ascontiguousarray(np.hstack([top, bottom]))

    def _read_one(
        self, photo: _Photo, detection: Detection, *, retries: bool = True
    ) -> _Plate | None:
        crop = self._crop(photo.image, detection, self.config.margin)
        guess = (
            self.classifier.classify(crop, photo.watch)
            if self.classifier is not None
            else colors.hsv_guess(crop)
        )
        probs = self.reader.read([crop], photo.watch)
        picked = self._choose(photo, probs, guess)
        if retries and (picked is None or picked.confidence < self.config.retry_below):
            crops = [self._crop(photo.image, detection, self.config.retry_margin)]
            if self.config.wide_margin is not None:
                crops.append(self._crop(photo.image, detection, self.config.wide_margin))
            # a crop that read as nothing at all is replaced rather than averaged in
            probs = (probs if picked is not None else []) + self.reader.read(crops, photo.watch)
            picked = self._choose(photo, probs, guess)
        if retries and (picked is None or picked.confidence < self.config.retry_below):
            # a third look at a washed-out or dark plate: the first crop with its contrast
            # stretched, kept only where it makes the reading more likely
            more = probs + self.reader.read([stretch_contrast(crop)], photo.watch)
            again = self._choose(photo, more, guess)
            if again is not None and (picked is None or again.score > picked.score):
                picked, probs = again, more
        if picked is None:
            return None
        return _Plate(
            detection=detection,
            reading=picked,
            score=detection.score,
            color_guess=guess,
            sharpness=sharpness(crop),
            crop=crop,
            probs=probs,
        )

    def _choose(
        self, photo: _Photo, probs: list[FloatArray], guess: colors.ColorGuess
    ) -> Reading | None:
        """The best reading over one or more crops (log probabilities averaged), with the colour
        prior: green plates are 8-character new-energy plates, other colours have 7."""
        likely = _likely_lengths(guess) if self.classifier is not None else _BOTH
        picked = self._weigh(photo, probs, guess, likely)
        if likely != _BOTH and (picked is None or picked.confidence < self.config.retry_below):
            picked = self._weigh(photo, probs, guess, _BOTH)  # the classifier can be wrong
        return picked

    def _weigh(
        self,
        photo: _Photo,
        probs: list[FloatArray],
        guess: colors.ColorGuess,
        lengths: tuple[int, ...],
    ) -> Reading | None:
        known: dict[str, dict[int, float]] = {}  # text -> crop -> log probability
        for i, frames in enumerate(probs):
            for length in lengths:
                for r in self._decoded(photo, frames, length):
                    known.setdefault(r.text, {})[i] = r.log_prob
        if not known:
            return None
        green = min(max(guess.green, 1e-3), 1 - 1e-3)
        best: tuple[float, str, float, float] | None = None
        for text, scores in known.items():
            log_prob = sum(
                scores[i] if i in scores else self._log_prob(photo, p, text)
                for i, p in enumerate(probs)
            ) / len(probs)
            prior = math.log(green if len(text) == LENGTH_NEV else 1 - green)
            kind = log_prior(self.reader.alphabet, text)
            total = log_prob + kind + self.config.color_weight * prior
            if best is None or total > best[0]:
                best = (total, text, log_prob, kind)
        assert best is not None  # noqa: S101 - texts is not empty
        _, text, log_prob, kind = best
        # per-character confidences only for the plates reported (`_candidate`)
        return Reading(text, log_prob, (), kind)

    def _decoded(self, photo: _Photo, frames: FloatArray, length: int) -> list[Reading]:
        """`decode` of one crop's frames for one plate length, once per photo."""
        alphabet = self.reader.alphabet
        found: list[Reading] = photo.once(
            frames,
            length,
            lambda: decode(frames, alphabet, lengths=(length,), with_confidences=False),
        )
        return found

    def _log_prob(self, photo: _Photo, frames: FloatArray, text: str) -> float:
        """`ctc_log_prob` of a text under one crop's frames, once per photo."""
        value: float = photo.once(
            frames, text, lambda: ctc_log_prob(frames, self.reader.alphabet, text)
        )
        return value

    def _rank(self, photo: _Photo, plates: list[_Plate]) -> tuple[PlateCandidate, ...]:
        height, width = photo.image.shape[:2]
        for plate in plates:
            plate.rank = (
                plate.reading.score
                + _prior(plate.detection, width, height)
                + _sharpness_bonus(plate.sharpness)
            )
        plates.sort(key=lambda p: p.rank, reverse=True)
        kept: list[_Plate] = []
        for plate in plates:  # one candidate per plate: the 640 px pass may find it again
            if any(
                k.reading.text == plate.reading.text
                or _iou(k.detection.box, plate.detection.box) > 0.5
                for k in kept
            ):
                continue
            kept.append(plate)
        return tuple(self._candidate(photo, plate) for plate in kept)

    def _candidate(self, photo: _Photo, plate: _Plate) -> PlateCandidate:
        scale = photo.decoded.scale
        full_w, full_h = photo.decoded.size
        corners = plate.detection.corners * scale
        x1, y1, x2, y2 = (v * scale for v in plate.detection.box)
        box = (
            int(max(0, math.floor(x1))),
            int(max(0, math.floor(y1))),
            int(min(full_w, math.ceil(x2))),
            int(min(full_h, math.ceil(y2))),
        )
        points = tuple((round(float(x), 1), round(float(y), 1)) for x, y in corners)
        return PlateCandidate(
            text=plate.reading.text,
            confidence=round(plate.reading.confidence, 4),
            char_confidences=char_confidences(
                plate.probs[0], self.reader.alphabet, plate.reading.text
            ),
            color=colors.resolve(plate.reading.text, plate.color_guess, plate.crop),
            corners=(points[0], points[1], points[2], points[3]),
            box=box,
            detection_score=round(plate.score, 4),
            sharpness=round(plate.sharpness, 1),
            rank_score=round(plate.rank, 3),
            double_layer=plate.detection.double_layer,
        )


def _prior(detection: Detection, width: int, height: int) -> float:
    """How much a detection looks like the photo's subject, before reading it (log scale).

    Officers photograph the offending car: its plate is usually the largest, towards the
    middle, and not cut by the frame. Size dominates (a plate 1.4 × wider gains 1.0).
    """
    x1, y1, x2, y2 = detection.box
    size = max(x2 - x1, 1.0) / max(width, 1)
    cx = (x1 + x2) / 2 / max(width, 1) - 0.5
    cy = (y1 + y2) / 2 / max(height, 1) - 0.5
    edge = x1 <= 1 or y1 <= 1 or x2 >= width - 1 or y2 >= height - 1
    return (
        math.log(max(detection.score, 1e-3))
        + 3.0 * math.log(size)
        - (cx * cx + cy * cy)
        - (1.5 if edge else 0.0)
    )


def _sharpness_bonus(value: float) -> float:
    """A little credit for the plate in focus (the subject), bounded to −0.5…+0.25."""
    return 0.5 * min(0.5, max(-1.0, math.log(max(value, 1.0) / 500.0)))


def _likely_lengths(guess: colors.ColorGuess) -> tuple[int, ...]:
    """Plate lengths worth searching: the classifier is rarely unsure about green."""
    if guess.green < _SURELY_NOT:
        return (LENGTH_ORDINARY,)
    if guess.green > 1 - _SURELY_NOT:
        return (LENGTH_NEV,)
    return (LENGTH_ORDINARY, LENGTH_NEV)


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
