"""Reading the characters of a rectified plate with a PP-OCR CTC recogniser.

The recogniser (PP-OCRv4 `ch_PP-OCRv4_rec_infer.onnx`) takes BGR crops 48 px high, normalised
to -1…1, and returns per time step a softmax over `blank + 6,623 characters + space`; the
character list is stored in the model's metadata. We keep only the characters a plate may
contain and fold every other character into the blank, so that the constrained decoder sees
`(T, 1 + K)` probabilities: column 0 the blank (plus non-plate mass), then the K plate
characters in `alphabet` order.
"""

from __future__ import annotations

import string
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from smartduty.recognition.engine.sessions import FloatArray, Stopwatch, metadata, run_single
from smartduty.vehicles.plates import PROVINCES, SUFFIXES

REC_HEIGHT = 48
PLATE_ALPHABET = PROVINCES + string.ascii_uppercase + string.digits + "".join(sorted(SUFFIXES))
"""Every character some GA 36 plate may contain."""


class CharacterReader:
    """Runs one PP-OCR recogniser session over plate crops."""

    def __init__(self, session: Any, *, min_width: int = 0) -> None:
        self.session = session
        self.min_width = min_width
        chars = metadata(session).get("character", "").splitlines()
        if not chars:
            raise ValueError("recogniser model has no character list in its metadata")
        index = {char: i + 1 for i, char in enumerate(chars)}  # column 0 is the CTC blank
        missing = [c for c in PLATE_ALPHABET if c not in index]
        if missing:
            raise ValueError(f"recogniser cannot read plate characters {missing}")
        self.alphabet = PLATE_ALPHABET
        self.columns = np.array([index[c] for c in PLATE_ALPHABET], dtype=np.int64)

    def tensor(self, crops: list[npt.NDArray[np.uint8]]) -> FloatArray:
        """A batch tensor: crops resized to 48 px high, padded right to the widest."""
        widths = [max(self.min_width, crop.shape[1]) for crop in crops]
        batch = np.zeros((len(crops), 3, REC_HEIGHT, max(widths)), dtype=np.float32)
        for i, crop in enumerate(crops):
            line = crop
            if crop.shape[0] != REC_HEIGHT:
                width = max(8, round(crop.shape[1] * REC_HEIGHT / crop.shape[0]))
                line = np.asarray(cv2.resize(crop, (width, REC_HEIGHT)), dtype=np.uint8)
            chw = line.transpose(2, 0, 1).astype(np.float32) / np.float32(127.5) - np.float32(1.0)
            batch[i, :, :, : chw.shape[2]] = chw
        return batch

    def read(
        self, crops: list[npt.NDArray[np.uint8]], watch: Stopwatch | None = None
    ) -> list[FloatArray]:
        """Per crop, the `(T, 1 + K)` blank-plus-plate-character probabilities."""
        probs = run_single(self.session, self.tensor(crops), watch)
        out = []
        for i, crop in enumerate(crops):
            steps = max(1, -(-max(self.min_width, crop.shape[1]) // 8))
            frame = probs[i, :steps]
            plate = frame[:, self.columns]
            blank = np.clip(1.0 - plate.sum(axis=1, keepdims=True), 1e-6, 1.0)
            out.append(np.concatenate([blank, plate], axis=1).astype(np.float32))
        return out
