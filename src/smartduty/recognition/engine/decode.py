"""CTC decoding constrained by the GA 36-2018 plate grammar of `vehicles.plates`.

A prefix beam search over the recogniser's per-frame probabilities that only ever extends a
prefix by a character `allowed_next_chars(prefix, length)` permits: a province first, an
authority letter second, no I/O in the serial, the new-energy positions, the 学/警/挂 suffixes.
Searching separately for 7- and 8-character plates gives the best reading of each length, and
the caller weighs them (for example with the plate-colour classifier). Because the grammar is
the validator's own, every reading the engine returns is a plate `parse_plate` accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from smartduty.recognition.engine.sessions import FloatArray
from smartduty.vehicles.plates import LENGTH_NEV, LENGTH_ORDINARY, allowed_next_chars

_TOP_K = 4
"""Characters tried per frame and prefix (the most likely allowed ones)."""


@dataclass(frozen=True)
class Reading:
    """A grammar-valid reading of one crop."""

    text: str
    log_prob: float
    """Log of the CTC probability of exactly this text (summed over alignments)."""
    char_confidences: tuple[float, ...]

    @property
    def confidence(self) -> float:
        """Probability of the whole text, in 0…1."""
        return math.exp(min(self.log_prob, 0.0))


@lru_cache(maxsize=4096)
def _allowed_mask(prefix: str, length: int, alphabet: str) -> np.ndarray:
    allowed = allowed_next_chars(prefix, length)
    return np.array([c in allowed for c in alphabet], dtype=bool)


def beam_search(
    probs: FloatArray, alphabet: str, *, length: int, beam: int = 8
) -> tuple[str, float] | None:
    """The most likely grammar-valid text of `length` characters and its log probability.

    `probs` is `(T, 1 + K)`: column 0 the blank, then one column per `alphabet` character.
    """
    steps = probs.shape[0]
    if steps < length:
        return None
    chars = probs[:, 1:].astype(np.float64)
    blank = probs[:, 0].astype(np.float64)
    # prefix -> (p ending in blank, p ending in a character), scaled per step by `log_scale`
    beams: dict[str, tuple[float, float]] = {"": (1.0, 0.0)}
    log_scale = 0.0
    for t in range(steps):
        row = chars[t]
        nxt: dict[str, list[float]] = {}
        remaining = steps - t  # frames left, including this one
        for prefix, (pb, pnb) in beams.items():
            total = pb + pnb
            slot = nxt.setdefault(prefix, [0.0, 0.0])
            slot[0] += total * blank[t]
            if prefix:
                last = alphabet.index(prefix[-1])
                slot[1] += pnb * row[last]
            if len(prefix) >= length or length - len(prefix) > remaining:
                continue
            mask = _allowed_mask(prefix, length, alphabet)
            masked = np.where(mask, row, -1.0)
            for k in np.argpartition(-masked, _TOP_K)[:_TOP_K]:
                p = masked[k]
                if p <= 0.0:
                    continue
                char = alphabet[k]
                ext = nxt.setdefault(prefix + char, [0.0, 0.0])
                if prefix and prefix[-1] == char:
                    ext[1] += pb * p
                else:
                    ext[1] += total * p
        # keep prefixes that can still finish in the frames left
        ranked = sorted(
            (
                (p, (s[0], s[1]))
                for p, s in nxt.items()
                if length - len(p) <= remaining - 1 or len(p) == length
            ),
            key=lambda item: item[1][0] + item[1][1],
            reverse=True,
        )[:beam]
        if not ranked:
            return None
        top = ranked[0][1][0] + ranked[0][1][1]
        if top <= 0.0:
            return None
        log_scale += math.log(top)
        beams = {p: (s[0] / top, s[1] / top) for p, s in ranked}
    done = [(p, s) for p, s in beams.items() if len(p) == length]
    if not done:
        return None
    text, (pb, pnb) = max(done, key=lambda item: item[1][0] + item[1][1])
    return text, math.log(pb + pnb) + log_scale


def char_confidences(probs: FloatArray, alphabet: str, text: str) -> tuple[float, ...]:
    """Per character, its highest probability among the frames a best-path alignment gives it.

    Viterbi over the CTC lattice `blank c1 blank c2 … blank` of the text.
    """
    cols = [0]
    for char in text:
        cols += [1 + alphabet.index(char), 0]
    lattice = np.log(np.maximum(probs[:, cols].astype(np.float64), 1e-12))
    steps, states = lattice.shape
    score = np.full(states, -np.inf)
    score[0] = lattice[0, 0]
    score[1] = lattice[0, 1]
    back = np.zeros((steps, states), dtype=np.int64)
    for t in range(1, steps):
        stay = score
        step = np.concatenate([[-np.inf], score[:-1]])
        skip = np.concatenate([[-np.inf, -np.inf], score[:-2]])
        # a skip is allowed into a character state whose character differs from two back
        skip_ok = np.zeros(states, dtype=bool)
        for s in range(3, states, 2):
            skip_ok[s] = cols[s] != cols[s - 2]
        skip = np.where(skip_ok, skip, -np.inf)
        stacked = np.stack([stay, step, skip])
        choice = stacked.argmax(axis=0)
        back[t] = choice
        score = stacked.max(axis=0) + lattice[t]
    state = states - 1 if score[states - 1] >= score[states - 2] else states - 2
    best = np.zeros(len(text))
    for t in range(steps - 1, -1, -1):
        if state % 2 == 1:
            index = state // 2
            best[index] = max(best[index], float(probs[t, cols[state]]))
        state -= int(back[t, state])
        if state < 0:
            break
    return tuple(round(float(v), 4) for v in best)


def decode(probs: FloatArray, alphabet: str, *, beam: int = 8) -> list[Reading]:
    """The best grammar-valid 7- and 8-character readings, most likely first."""
    found = []
    for length in (LENGTH_ORDINARY, LENGTH_NEV):
        best = beam_search(probs, alphabet, length=length, beam=beam)
        if best is not None:
            text, log_prob = best
            found.append(Reading(text, log_prob, char_confidences(probs, alphabet, text)))
    return sorted(found, key=lambda r: r.log_prob, reverse=True)
