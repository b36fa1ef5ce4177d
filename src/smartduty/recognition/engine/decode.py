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
from smartduty.vehicles.plates import LENGTH_NEV, LENGTH_ORDINARY, TEMPLATES, PlateKind

_TOP_K = 4
"""Characters tried per frame and prefix (the most likely allowed ones)."""
_SCAN = 12
"""How far down a frame's ranking to look for allowed characters before searching them all."""
_MIN_P = 1e-5


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


class _Grammar:
    """The GA 36 templates as a small automaton over prefixes, for one alphabet and length.

    A state is the set of plate kinds whose template the prefix still fits; its allowed next
    characters are the union of those templates at the next position. Built lazily from
    `vehicles.plates.TEMPLATES`, the validator's own grammar (a unit test checks it against
    `allowed_next_chars` on every prefix it reaches).
    """

    def __init__(self, alphabet: str, length: int) -> None:
        self.alphabet = alphabet
        self.length = length
        self.start: frozenset[PlateKind] = frozenset(
            kind for kind, template in TEMPLATES.items() if len(template) == length
        )
        self._next: dict[tuple[frozenset[PlateKind], int], frozenset[PlateKind]] = {}
        self._allowed: dict[tuple[frozenset[PlateKind], int], frozenset[int]] = {}

    def allowed(self, state: frozenset[PlateKind], position: int) -> frozenset[int]:
        """Alphabet indices allowed at `position` in `state`."""
        key = (state, position)
        found = self._allowed.get(key)
        if found is None:
            chars = frozenset().union(*(TEMPLATES[k][position] for k in state))
            found = frozenset(i for i, c in enumerate(self.alphabet) if c in chars)
            self._allowed[key] = found
        return found

    def step(self, state: frozenset[PlateKind], position: int, index: int) -> frozenset[PlateKind]:
        """The state after reading alphabet character `index` at `position`."""
        key = (state, position * 256 + index)
        found = self._next.get(key)
        if found is None:
            char = self.alphabet[index]
            found = frozenset(k for k in state if char in TEMPLATES[k][position])
            self._next[key] = found
        return found


@lru_cache(maxsize=16)
def grammar(alphabet: str, length: int) -> _Grammar:
    """The shared automaton for an alphabet and plate length."""
    return _Grammar(alphabet, length)


def beam_search(
    probs: FloatArray, alphabet: str, *, length: int, beam: int = 8
) -> tuple[str, float] | None:
    """The most likely grammar-valid text of `length` characters and its log probability.

    `probs` is `(T, 1 + K)`: column 0 the blank, then one column per `alphabet` character.
    Plain Python floats: for ~20-40 frames and a beam of 8 they beat numpy's call overhead.
    """
    steps = probs.shape[0]
    if steps < length:
        return None
    automaton = grammar(alphabet, length)
    rows: list[list[float]] = probs[:, 1:].astype(np.float64).tolist()
    blanks: list[float] = probs[:, 0].astype(np.float64).tolist()
    orders: list[list[int]] = np.argsort(-probs[:, 1:], axis=1)[:, :_SCAN].tolist()
    # prefix (alphabet indices) -> [p ending in blank, p ending in a character, grammar state]
    beams: dict[tuple[int, ...], tuple[float, float, frozenset[PlateKind]]] = {
        (): (1.0, 0.0, automaton.start)
    }
    log_scale = 0.0
    for t in range(steps):
        row, blank, order = rows[t], blanks[t], orders[t]
        left = steps - t - 1  # frames after this one
        nxt: dict[tuple[int, ...], list[object]] = {}
        for prefix, (pb, pnb, state) in beams.items():
            total = pb + pnb
            slot = nxt.get(prefix)
            if slot is None:
                slot = nxt[prefix] = [0.0, 0.0, state]
            slot[0] += total * blank  # type: ignore[operator]  # slots hold floats then a state
            if prefix:
                slot[1] += pnb * row[prefix[-1]]  # type: ignore[operator]
            position = len(prefix)
            need = length - position - 1  # characters still needed after an extension
            if need < 0 or need > left:
                continue
            for k in _extensions(row, order, automaton.allowed(state, position)):
                key = (*prefix, k)
                ext = nxt.get(key)
                if ext is None:
                    ext = nxt[key] = [0.0, 0.0, automaton.step(state, position, k)]
                ext[1] += (pb if prefix and prefix[-1] == k else total) * row[k]  # type: ignore[operator]
        ranked = sorted(
            ((p, s) for p, s in nxt.items() if length - len(p) <= left),
            key=lambda item: item[1][0] + item[1][1],  # type: ignore[operator]
            reverse=True,
        )[:beam]
        top = float(ranked[0][1][0] + ranked[0][1][1]) if ranked else 0.0  # type: ignore[operator]
        if top <= 0.0:
            return None
        log_scale += math.log(top)
        beams = {p: (s[0] / top, s[1] / top, s[2]) for p, s in ranked}  # type: ignore[misc,operator]
    done = [(p, s) for p, s in beams.items() if len(p) == length]
    if not done:
        return None
    indices, (pb, pnb, _) = max(done, key=lambda item: item[1][0] + item[1][1])
    return "".join(alphabet[i] for i in indices), math.log(pb + pnb) + log_scale


def _extensions(row: list[float], order: list[int], allowed: frozenset[int]) -> list[int]:
    """The few most likely allowed characters of a frame (at least one, when any is allowed)."""
    picked = [k for k in order if k in allowed][:_TOP_K]
    if not picked and allowed:
        picked = [max(allowed, key=row.__getitem__)]
    return [k for k in picked if row[k] > _MIN_P] or picked[:1]


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


def decode(
    probs: FloatArray,
    alphabet: str,
    *,
    beam: int = 8,
    lengths: tuple[int, ...] = (LENGTH_ORDINARY, LENGTH_NEV),
    with_confidences: bool = True,
) -> list[Reading]:
    """The best grammar-valid reading of each length, most likely first."""
    found = []
    for length in lengths:
        best = beam_search(probs, alphabet, length=length, beam=beam)
        if best is not None:
            text, log_prob = best
            confidences = char_confidences(probs, alphabet, text) if with_confidences else ()
            found.append(Reading(text, log_prob, confidences))
    return sorted(found, key=lambda r: r.log_prob, reverse=True)


def ctc_log_prob(probs: FloatArray, alphabet: str, text: str) -> float:
    """Log probability of exactly `text` under the frames (CTC forward algorithm)."""
    cols = [0]
    for char in text:
        cols += [1 + alphabet.index(char), 0]
    states = len(cols)
    steps = probs.shape[0]
    if steps < len(text):
        return -math.inf
    emit = probs[:, cols].astype(np.float64)
    skip_ok = np.zeros(states, dtype=bool)
    for s in range(3, states, 2):
        skip_ok[s] = cols[s] != cols[s - 2]
    alpha = np.zeros(states)
    alpha[0], alpha[1] = emit[0, 0], emit[0, 1]
    log_scale = 0.0
    for t in range(1, steps):
        shifted = np.concatenate([[0.0], alpha[:-1]])
        skipped = np.where(skip_ok, np.concatenate([[0.0, 0.0], alpha[:-2]]), 0.0)
        alpha = (alpha + shifted + skipped) * emit[t]
        top = alpha.max()
        if top <= 0.0:
            return -math.inf
        alpha /= top
        log_scale += math.log(top)
    end = alpha[-1] + alpha[-2]
    return math.log(end) + log_scale if end > 0 else -math.inf
