"""Hand-made reader outputs for decoding tests: CTC frames over the plate alphabet."""

from __future__ import annotations

import numpy as np

from smartduty.recognition.engine.reader import PLATE_ALPHABET

A = PLATE_ALPHABET


def frames(spec: list[dict[str, float]], *, blanks: int = 1) -> np.ndarray:
    """`(T, 1 + K)` probabilities: one frame per dict (char → p, the rest on the blank), each
    followed by `blanks` pure blank frames."""
    rows = []
    for probs in spec:
        row = np.zeros(1 + len(A), dtype=np.float32)
        for char, p in probs.items():
            row[1 + A.index(char)] = p
        row[0] = max(0.0, 1.0 - row.sum())
        rows.append(row)
        for _ in range(blanks):
            blank = np.zeros(1 + len(A), dtype=np.float32)
            blank[0] = 1.0
            rows.append(blank)
    return np.stack(rows)


def sure(text: str, p: float = 0.95) -> list[dict[str, float]]:
    """One confident frame per character of `text`."""
    return [{c: p} for c in text]
