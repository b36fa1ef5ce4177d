"""CTC decoding constrained by the GA 36-2018 plate grammar of `vehicles.plates`.

A prefix beam search over the recogniser's per-frame probabilities that only ever extends a
prefix by a character `allowed_next_chars(prefix, length)` permits: a province first, an
authority letter second, no I/O in the serial, the new-energy positions, the 学/警/挂 suffixes.
Searching separately for 7- and 8-character plates gives the best reading of each length, and
the caller weighs them (for example with the plate-colour classifier). Because the grammar is
the validator's own, every reading the engine returns is a plate `parse_plate` accepts.

Where the grammar forbids a character, the reader's probability for it is not lost but counts
for its allowed look-alike there (`LOOK_ALIKES`: O→0 in the serial, 8→B as the authority
letter, B→8 where a new-energy plate has digits, …), in the search and in every score alike.
A clear plate skips the search: when the best path is a valid plate likelier than ½, nothing
else can beat it (`best_path`).

Plate kinds are not equally common (`KIND_PRIOR`): a green 8-character plate in the street is
far more often a new-energy car's (D/F third) than a bus's or truck's (D/F last). Texts are
chosen by probability × their kind's prior (`Reading.score`; in the search the prior applies
at the character that settles the kind), so a blurred car plate does not read as a truck's;
the confidence reported stays the reader's own probability, so a crisp truck plate is not
sent to the officer for confirmation because trucks are rare.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from smartduty.recognition.engine.sessions import FloatArray
from smartduty.vehicles.plates import LENGTH_NEV, LENGTH_ORDINARY, TEMPLATES, PlateKind

_TOP_K = 4
"""Characters tried per frame and prefix (the most likely allowed ones)."""
_SCAN = 12
"""How far down a frame's ranking to look for allowed characters before searching them all."""
_MIN_P = 1e-5
_QUIET = 0.999
"""A frame at least this surely blank only carries the beams forward."""
_MORE_LIKELY_THAN_THE_REST = math.log(0.5)
"""A text above this log probability is likelier than all other texts together."""
_SHARE_FLOOR = 1e-9
"""Added to each look-alike's probability before sharing: equal shares when the reader gives
them all (almost) nothing."""

LOOK_ALIKES: Final[Mapping[str, str]] = {
    "O": "0",
    "I": "1",
    "0": "DQ",
    "D": "0",
    "Q": "0",
    "B": "8",
    "8": "B",
    "Z": "2",
    "2": "Z",
    "S": "5",
    "5": "S",
    "G": "6",
    "6": "G",
}
"""Characters a reader confuses, and what each may stand for where the grammar forbids it: the
serial has no I or O (GA 36 left them out because they look like 1 and 0), the authority
letter no digit, new-energy positions only digits or only D/F-type letters. Where exactly one
of its look-alikes is allowed, the reader's probability for a forbidden character goes to that
one, both in the beam search and in the scores, instead of being lost. Where several are (a 0
as the authority letter: D or Q?), it is shared between them frame by frame in proportion to the
reader's own probabilities for them (`shared_rows`): a round glyph the reader finds more Q-like
than D-like counts mostly for Q."""

KIND_PRIOR: Final[Mapping[PlateKind, float]] = {PlateKind.NEV_LARGE: 0.1}
"""Prior weight of a plate kind against the likeliest kind of its length (others weigh 1).
Large new-energy plates (buses, trucks) are roughly a tenth of the new-energy fleet and rarer
still among parked cars; both green kinds share most characters, so without the prior a blurred
small plate's digits often fit the large plate's grammar as well."""

_Beam = tuple[float, float, frozenset[PlateKind], tuple[int, ...]]


def _kind_weight(state: frozenset[PlateKind]) -> float:
    """The prior weight of the likeliest kind a prefix can still become."""
    return max((KIND_PRIOR.get(kind, 1.0) for kind in state), default=1.0)


@dataclass(frozen=True)
class Reading:
    """A grammar-valid reading of one crop."""

    text: str
    log_prob: float
    """Log of the CTC probability of exactly this text (summed over alignments)."""
    char_confidences: tuple[float, ...]
    log_prior: float = 0.0
    """Log of the kind prior of the text (`KIND_PRIOR`; 0 for the commonest kind)."""

    @property
    def score(self) -> float:
        """What readings are chosen by: log probability plus log prior."""
        return self.log_prob + self.log_prior

    @property
    def confidence(self) -> float:
        """Probability of the whole text, in 0…1."""
        return math.exp(min(self.log_prob, 0.0))


class _Folds(NamedTuple):
    """What the grammar allows at one position of one state, with the look-alikes folded in."""

    allowed: frozenset[int]
    columns: dict[int, tuple[int, ...]]
    """Per allowed index: itself, then the forbidden look-alikes whose probability it takes."""
    redirect: dict[int, int]
    """Per forbidden index with an allowed look-alike: that look-alike."""
    weights: dict[int, float]
    """Per allowed index that rules out the likelier kinds: the factor its prior loses."""


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
        self._folds: dict[tuple[frozenset[PlateKind], int], _Folds] = {}
        self._shares: dict[int, dict[int, tuple[int, ...]]] = {}

    def allowed(self, state: frozenset[PlateKind], position: int) -> frozenset[int]:
        """Alphabet indices allowed at `position` in `state`."""
        return self.folds(state, position).allowed

    def folds(self, state: frozenset[PlateKind], position: int) -> _Folds:
        """Allowed indices at `position` in `state` and the look-alikes folded into them."""
        key = (state, position)
        found = self._folds.get(key)
        if found is None:
            chars = frozenset().union(*(TEMPLATES[k][position] for k in state))
            allowed = frozenset(i for i, c in enumerate(self.alphabet) if c in chars)
            redirect: dict[int, int] = {}
            for source, targets in LOOK_ALIKES.items():
                index = self.alphabet.find(source)
                if index < 0 or source in chars:
                    continue
                fits = [t for t in targets if t in chars and t in self.alphabet]
                if len(fits) == 1:
                    redirect[index] = self.alphabet.index(fits[0])
            columns = {i: (i, *sorted(s for s, t in redirect.items() if t == i)) for i in allowed}
            here = _kind_weight(state)
            weights: dict[int, float] = {}
            for i in allowed:
                after = _kind_weight(self.step(state, position, i)) / here
                if after != 1.0:
                    weights[i] = after
            found = self._folds[key] = _Folds(allowed, columns, redirect, weights)
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

    def shares(self, position: int) -> dict[int, tuple[int, ...]]:
        """Forbidden characters at `position` with several allowed look-alikes there (any
        kind of this length): source index -> the look-alikes' indices."""
        found = self._shares.get(position)
        if found is None:
            chars = frozenset().union(*(TEMPLATES[k][position] for k in self.start))
            found = {}
            for source, targets in LOOK_ALIKES.items():
                index = self.alphabet.find(source)
                fits = [
                    self.alphabet.index(t) for t in targets if t in chars and t in self.alphabet
                ]
                if index >= 0 and source not in chars and len(fits) > 1:
                    found[index] = tuple(fits)
            self._shares[position] = found
        return found

    def log_prior(self, text: str) -> float:
        """Log of the kind prior of `text` (0 for the commonest kind of its length)."""
        state = self.start
        for position, char in enumerate(text):
            if not state:
                return 0.0
            state = self.step(state, position, self.alphabet.index(char))
        return math.log(_kind_weight(state) / _kind_weight(self.start)) if state else 0.0

    def columns(self, text: str) -> list[tuple[int, ...]]:
        """Per character of `text`, the alphabet indices whose probability it takes."""
        state, out = self.start, []
        for position, char in enumerate(text):
            index = self.alphabet.index(char)
            out.append(
                self.folds(state, position).columns.get(index, (index,)) if state else (index,)
            )
            state = self.step(state, position, index) if state else state
        return out


@lru_cache(maxsize=16)
def grammar(alphabet: str, length: int) -> _Grammar:
    """The shared automaton for an alphabet and plate length."""
    return _Grammar(alphabet, length)


def _shares_of(
    chars: npt.NDArray[np.float64], source: int, group: tuple[int, ...]
) -> npt.NDArray[np.float64]:
    """`(T, len(group))`: the part of `source`'s probability each look-alike in `group` takes
    per frame, in proportion to the reader's own probabilities for them (`chars`: the
    character columns, blank excluded)."""
    mine = chars[:, list(group)] + _SHARE_FLOOR
    share: npt.NDArray[np.float64] = (
        chars[:, source : source + 1] * mine / mine.sum(axis=1, keepdims=True)
    )
    return share


def shared_rows(probs: FloatArray, automaton: _Grammar) -> list[npt.NDArray[np.float64] | None]:
    """Per position, the character columns (`probs[:, 1:]`) with the shared look-alikes folded
    in (`_Grammar.shares`), or None where nothing is shared."""
    chars = probs[:, 1:].astype(np.float64)
    out: list[npt.NDArray[np.float64] | None] = []
    for position in range(automaton.length):
        shares = automaton.shares(position)
        if not shares:
            out.append(None)
            continue
        rows = chars.copy()
        for source, group in shares.items():
            rows[:, list(group)] += _shares_of(chars, source, group)
        out.append(rows)
    return out


def _emit(row: list[float], columns: tuple[int, ...]) -> float:
    if len(columns) == 1:
        return row[columns[0]]
    total = 0.0
    for k in columns:
        total += row[k]
    return total


def log_prior(alphabet: str, text: str) -> float:
    """Log of the kind prior of a grammar-valid `text` (`KIND_PRIOR`)."""
    return grammar(alphabet, len(text)).log_prior(text)


def beam_search(
    probs: FloatArray, alphabet: str, *, length: int, beam: int = 8
) -> tuple[str, float] | None:
    """The grammar-valid text of `length` characters with the best score (probability × kind
    prior) and its log probability (without the prior).

    `probs` is `(T, 1 + K)`: column 0 the blank, then one column per `alphabet` character.
    Plain Python floats: for ~20-40 frames and a beam of 8 they beat numpy's call overhead.
    Frames that are almost surely blank only carry the beams forward (no extensions), which
    skips most of the work on a typical plate; should that leave no complete reading, the
    search is run again over every frame.
    """
    found = _beam_search(probs, alphabet, length=length, beam=beam, quiet=_QUIET)
    if found is None:
        found = _beam_search(probs, alphabet, length=length, beam=beam, quiet=2.0)
    return found


def _beam_search(
    probs: FloatArray, alphabet: str, *, length: int, beam: int, quiet: float
) -> tuple[str, float] | None:
    steps = probs.shape[0]
    if steps < length:
        return None
    automaton = grammar(alphabet, length)
    rows: list[list[float]] = probs[:, 1:].astype(np.float64).tolist()
    # per position, its own rows where a forbidden look-alike is shared out (else the common)
    alt: list[list[list[float]] | None] = [
        None if shared is None else shared.tolist() for shared in shared_rows(probs, automaton)
    ]
    blanks: list[float] = probs[:, 0].astype(np.float64).tolist()
    orders: list[list[int]] = np.argsort(-probs[:, 1:], axis=1)[:, :_SCAN].tolist()
    # frames after each one that can still emit a character: a prefix that needs more is dead
    able = (probs[:, 0] < 1.0 - _MIN_P)[::-1].cumsum()[::-1]
    lefts: list[int] = [*able[1:].tolist(), 0]
    # prefix (alphabet indices) -> [p ending in blank, p ending in a character, grammar state,
    # the columns of the last character]
    beams: dict[tuple[int, ...], _Beam] = {(): (1.0, 0.0, automaton.start, ())}
    log_scale = 0.0
    for t in range(steps):
        row, blank, order = rows[t], blanks[t], orders[t]
        left = lefts[t]  # frames after this one that can emit a character
        if blank >= quiet:  # no extensions: the beams and their order barely change
            moved = {
                p: (
                    (b + n) * blank,
                    n * _emit(_row(alt, len(p) - 1, t, row), last) if p else 0.0,
                    state,
                    last,
                )
                for p, (b, n, state, last) in beams.items()
                if length - len(p) <= left
            }
            top = max((b + n for b, n, _, _ in moved.values()), default=0.0)
            if top <= 0.0:
                return None
            log_scale += math.log(top)
            beams = {p: (b / top, n / top, st, la) for p, (b, n, st, la) in moved.items()}
            continue
        nxt: dict[tuple[int, ...], list[Any]] = {}
        # beams in the same grammar state at the same place extend by the same characters
        options: dict[tuple[frozenset[PlateKind], int], list[_Option]] = {}
        for prefix, (pb, pnb, state, last) in beams.items():
            total = pb + pnb
            slot = nxt.get(prefix)
            if slot is None:
                slot = nxt[prefix] = [0.0, 0.0, state, last]
            slot[0] += total * blank
            position = len(prefix)
            if prefix:
                slot[1] += pnb * _emit(_row(alt, position - 1, t, row), last)
            need = length - position - 1  # characters still needed after an extension
            if need < 0 or need > left:
                continue
            place = (state, position)
            found = options.get(place) or options.setdefault(
                place, _options(automaton, state, position, _row(alt, position, t, row), order)
            )
            for k, columns, weighted, after in found:
                key = (*prefix, k)
                ext = nxt.get(key)
                if ext is None:
                    ext = nxt[key] = [0.0, 0.0, after, columns]
                ext[1] += (pb if prefix and prefix[-1] == k else total) * weighted
        ranked = sorted(
            ((p, s) for p, s in nxt.items() if length - len(p) <= left),
            key=lambda item: item[1][0] + item[1][1],
            reverse=True,
        )[:beam]
        top = float(ranked[0][1][0] + ranked[0][1][1]) if ranked else 0.0
        if top <= 0.0:
            return None
        log_scale += math.log(top)
        beams = {p: (s[0] / top, s[1] / top, s[2], s[3]) for p, s in ranked}
    done = [(p, s) for p, s in beams.items() if len(p) == length]
    if not done:
        return None
    indices, (pb, pnb, _, _) = max(done, key=lambda item: item[1][0] + item[1][1])
    text = "".join(alphabet[i] for i in indices)
    return text, math.log(pb + pnb) + log_scale - automaton.log_prior(text)


_Option = tuple[int, tuple[int, ...], float, frozenset[PlateKind]]
"""An extension: character, its columns, its emission × kind-prior gain, the state after it."""


def _options(
    automaton: _Grammar,
    state: frozenset[PlateKind],
    position: int,
    here: list[float],
    order: list[int],
) -> list[_Option]:
    """The extensions of a prefix in `state` at `position` by this frame (`_extensions`), with
    the emission already weighed by the kind prior it settles (every alignment enters a
    character once, so the prior applies there)."""
    folds = automaton.folds(state, position)
    return [
        (
            k,
            columns,
            _emit(here, columns) * folds.weights.get(k, 1.0),
            automaton.step(state, position, k),
        )
        for k, columns in _extensions(here, order, folds)
    ]


def _row(
    alt: list[list[list[float]] | None], position: int, t: int, row: list[float]
) -> list[float]:
    """Frame `t`'s character row as seen at `position` (its shared rows, if it has any)."""
    rows = alt[position]
    return row if rows is None else rows[t]


def _extensions(
    row: list[float], order: list[int], folds: _Folds
) -> list[tuple[int, tuple[int, ...]]]:
    """The few most likely allowed characters of a frame (at least one, when any is allowed),
    a forbidden character standing for its allowed look-alike, with their columns."""
    allowed, columns, redirect, _ = folds
    picked: list[int] = []
    for k in order:
        target = k if k in allowed else redirect.get(k)
        if target is not None and target not in picked:
            picked.append(target)
            if len(picked) == _TOP_K:
                break
    if not picked:
        if not allowed:
            return []
        picked = [max(allowed, key=lambda i: _emit(row, columns[i]))]
    out = [(k, columns[k]) for k in picked if _emit(row, columns[k]) > _MIN_P]
    return out or [(picked[0], columns[picked[0]])]


def _lattice(probs: FloatArray, alphabet: str, text: str) -> npt.NDArray[np.float64]:
    """`(T, 2 len + 1)` emissions of the CTC lattice `blank c1 blank c2 … blank` of `text`,
    each character taking the probability of the look-alikes the grammar forbids there."""
    steps = probs.shape[0]
    emit = np.empty((steps, 2 * len(text) + 1), dtype=np.float64)
    emit[:, 0::2] = probs[:, :1]
    automaton = grammar(alphabet, len(text))
    for i, columns in enumerate(automaton.columns(text)):
        picked = probs[:, [1 + k for k in columns]]
        emit[:, 2 * i + 1] = picked.sum(axis=1) if len(columns) > 1 else picked[:, 0]
        for source, group in automaton.shares(i).items():
            if columns[0] in group:  # this character takes its share of a look-alike
                chars = probs[:, 1:].astype(np.float64)
                emit[:, 2 * i + 1] += _shares_of(chars, source, group)[:, group.index(columns[0])]
    return emit


def _skips(text: str) -> list[bool]:
    """Lattice states that may be entered from two states back (a different character)."""
    ok = [False] * (2 * len(text) + 1)
    for i in range(1, len(text)):
        ok[2 * i + 1] = text[i] != text[i - 1]
    return ok


def char_confidences(probs: FloatArray, alphabet: str, text: str) -> tuple[float, ...]:
    """Per character, its highest probability among the frames a best-path alignment gives it.

    Viterbi over the CTC lattice `blank c1 blank c2 … blank` of the text (plain Python floats:
    for ~15 states and ~30 frames they are several times faster than numpy calls per frame).
    """
    emit = _lattice(probs, alphabet, text)
    rows: list[list[float]] = emit.tolist()
    logs: list[list[float]] = np.log(np.maximum(emit, 1e-12)).tolist()
    states = len(rows[0])
    skip_ok = _skips(text)
    score = [-math.inf] * states
    score[0], score[1] = logs[0][0], logs[0][1]
    back: list[list[int]] = []
    for t in range(1, len(rows)):
        log_row = logs[t]
        new = [0.0] * states
        choice = [0] * states
        for s in range(states):
            best, came = score[s], 0
            if s >= 1 and score[s - 1] > best:
                best, came = score[s - 1], 1
            if skip_ok[s] and score[s - 2] > best:
                best, came = score[s - 2], 2
            new[s] = best + log_row[s]
            choice[s] = came
        back.append(choice)
        score = new
    state = states - 1 if score[states - 1] >= score[states - 2] else states - 2
    best_p = [0.0] * len(text)
    for t in range(len(rows) - 1, -1, -1):
        if state % 2 == 1:
            index = state // 2
            best_p[index] = max(best_p[index], rows[t][state])
        if t == 0:
            break
        state -= back[t - 1][state]
        if state < 0:
            break
    return tuple(round(min(v, 1.0), 4) for v in best_p)


def best_path(probs: FloatArray, alphabet: str) -> str | None:
    """The best-path reading (each frame's likeliest column, repeats and blanks collapsed),
    look-alikes folded where the grammar forbids them; `None` unless it is a valid plate."""
    chars: list[int] = []
    previous = 0
    for k in probs.argmax(axis=1).tolist():
        if k not in (0, previous):
            chars.append(k - 1)
        previous = k
    if len(chars) not in (LENGTH_ORDINARY, LENGTH_NEV):
        return None
    automaton = grammar(alphabet, len(chars))
    state = automaton.start
    for position, read in enumerate(chars):
        folds = automaton.folds(state, position)
        index = read if read in folds.allowed else folds.redirect.get(read)
        if index is None:
            return None
        chars[position] = index
        state = automaton.step(state, position, index)
    return "".join(alphabet[i] for i in chars)


def decode(
    probs: FloatArray,
    alphabet: str,
    *,
    beam: int = 8,
    lengths: tuple[int, ...] = (LENGTH_ORDINARY, LENGTH_NEV),
    with_confidences: bool = True,
) -> list[Reading]:
    """The best grammar-valid reading of each length, best `score` first.

    When the best path is a valid plate of the commonest kind whose probability exceeds ½, no
    other text of any length can score higher (priors are at most 1), so it is taken without a
    beam search for its length (the common case of a clear plate).
    """
    found: dict[int, tuple[str, float]] = {}
    greedy = best_path(probs, alphabet)
    if greedy is not None and len(greedy) in lengths:
        log_prob = ctc_log_prob(probs, alphabet, greedy)
        if log_prob + log_prior(alphabet, greedy) > _MORE_LIKELY_THAN_THE_REST:
            found[len(greedy)] = (greedy, log_prob)
    for length in lengths:
        if length not in found:
            best = beam_search(probs, alphabet, length=length, beam=beam)
            if best is not None:
                found[length] = best
    readings = [
        Reading(
            text,
            log_prob,
            char_confidences(probs, alphabet, text) if with_confidences else (),
            log_prior(alphabet, text),
        )
        for text, log_prob in found.values()
    ]
    return sorted(readings, key=lambda r: r.score, reverse=True)


def ctc_log_prob(probs: FloatArray, alphabet: str, text: str) -> float:
    """Log probability of exactly `text` under the frames (CTC forward algorithm), each
    character taking the probability of the look-alikes the grammar forbids at its place."""
    steps = probs.shape[0]
    if steps < len(text):
        return -math.inf
    rows: list[list[float]] = _lattice(probs, alphabet, text).tolist()
    skip_ok = _skips(text)
    states = len(skip_ok)
    alpha = [0.0] * states
    alpha[0], alpha[1] = rows[0][0], rows[0][1]
    log_scale = 0.0
    for t in range(1, steps):
        emit = rows[t]
        new = [0.0] * states
        top = 0.0
        for s in range(states):
            value = alpha[s]
            if s >= 1:
                value += alpha[s - 1]
            if skip_ok[s]:
                value += alpha[s - 2]
            value *= emit[s]
            new[s] = value
            top = max(top, value)
        if top <= 0.0:
            return -math.inf
        alpha = [v / top for v in new]
        log_scale += math.log(top)
    end = alpha[-1] + alpha[-2]
    return math.log(end) + log_scale if end > 0 else -math.inf
