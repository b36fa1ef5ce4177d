"""Look-alike characters under the GA 36 grammar, the best-path shortcut and the quiet-frame beam.

A character the grammar forbids at a position (O and I in the serial, a digit as the authority
letter, a letter where a new-energy plate has only digits) lends its probability to its allowed
look-alike, both in the beam search and in the scores.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from smartduty.recognition.engine import decode as decoding
from smartduty.recognition.engine.decode import (
    LOOK_ALIKES,
    beam_search,
    best_path,
    char_confidences,
    ctc_log_prob,
    decode,
    grammar,
)
from smartduty.recognition.engine.reader import PLATE_ALPHABET
from smartduty.vehicles.plates import is_valid_plate
from tests.unit.recognition import ctc_frames
from tests.unit.recognition.ctc_frames import frames

A = PLATE_ALPHABET


def sure(text: str) -> list[dict[str, float]]:
    return ctc_frames.sure(text, 0.97)


def test_o_in_the_serial_counts_for_0_not_for_q() -> None:
    # without folding, Q (allowed in the serial) would beat the 0 that O really is
    spec = [*sure("鲁PA12"), {"O": 0.6, "Q": 0.3, "0": 0.05}, *sure("5")]
    best = decode(frames(spec), A, lengths=(7,))[0]
    assert best.text == "鲁PA1205"
    assert best.char_confidences[5] == pytest.approx(0.65, abs=1e-3)


def test_a_digit_as_authority_letter_counts_for_its_letter() -> None:
    spec = [{"京": 0.95}, {"8": 0.5, "R": 0.4}, *sure("12345")]
    assert decode(frames(spec), A, lengths=(7,))[0].text == "京B12345"


def test_an_ambiguous_look_alike_is_not_folded() -> None:
    # a 0 as the authority letter could be D or Q: the reader's own letters decide
    spec = [{"皖": 0.95}, {"0": 0.8, "Q": 0.1, "D": 0.05}, *sure("18632")]
    assert decode(frames(spec), A, lengths=(7,))[0].text == "皖Q18632"
    # where a letter must stand and only D looks like 0 (a large new-energy plate's last
    # place), 0 counts for D
    spec = [*sure("粤B12345"), {"0": 0.8, "F": 0.1}]
    assert decode(frames(spec), A, lengths=(8,))[0].text == "粤B12345D"


def test_i_in_the_serial_counts_for_1() -> None:
    spec = [*sure("皖AB"), {"I": 0.7, "T": 0.2}, *sure("66M")]
    assert decode(frames(spec), A, lengths=(7,))[0].text == "皖AB166M"


def test_letters_where_a_new_energy_plate_has_digits() -> None:
    # small new-energy plate: positions 5-8 are digits; a B there is an 8
    spec = [*sure("粤BD12"), {"B": 0.8, "3": 0.1}, *sure("45")]
    assert decode(frames(spec), A, lengths=(8,))[0].text == "粤BD12845"


def test_scores_take_the_folded_probability() -> None:
    spec = [*sure("鲁PA12"), {"O": 0.5, "0": 0.45}, *sure("5")]
    probs = frames(spec)
    plain = sum(math.log(0.97) for _ in range(6))
    assert ctc_log_prob(probs, A, "鲁PA1205") == pytest.approx(plain + math.log(0.95), abs=1e-3)
    # where O is allowed (the authority letter) it is not folded into anything
    spec = [{"京": 0.97}, {"O": 0.5, "0": 0.45}, *sure("12345")]
    probs = frames(spec)
    assert ctc_log_prob(probs, A, "京O12345") == pytest.approx(
        6 * math.log(0.97) + math.log(0.5), abs=1e-3
    )


def test_folding_follows_the_validators_grammar() -> None:
    for length in (7, 8):
        automaton = grammar(A, length)
        state = automaton.start
        for position in range(length):
            folds = automaton.folds(state, position)
            for source, target in folds.redirect.items():
                assert source not in folds.allowed
                assert target in folds.allowed
                assert A[target] in LOOK_ALIKES[A[source]]
                others = set(LOOK_ALIKES[A[source]]) - {A[target]}
                assert not any(A.index(c) in folds.allowed for c in others)
            state = automaton.step(state, position, min(folds.allowed))


def test_a_clear_plate_needs_no_beam_search(monkeypatch: pytest.MonkeyPatch) -> None:
    probs = frames(sure("苏E6K8M9"))
    assert best_path(probs, A) == "苏E6K8M9"

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("beam search called for a clear plate")

    monkeypatch.setattr(decoding, "beam_search", fail)
    best = decode(probs, A, lengths=(7,))[0]
    assert best.text == "苏E6K8M9"
    assert best.log_prob == pytest.approx(ctc_log_prob(probs, A, "苏E6K8M9"), abs=1e-6)


def test_an_unsure_best_path_still_gets_the_beam_search() -> None:
    # the best path says 鲁PA1234, but each of two characters is only 45 % sure
    spec = [*sure("鲁PA12"), {"3": 0.45, "8": 0.4}, {"4": 0.45, "A": 0.4}]
    probs = frames(spec)
    assert best_path(probs, A) == "鲁PA1234"
    assert ctc_log_prob(probs, A, "鲁PA1234") < math.log(0.5)
    assert decode(probs, A, lengths=(7,))[0].text == "鲁PA1234"


def test_best_path_refuses_what_is_not_a_plate() -> None:
    assert best_path(frames(sure("鲁PA123")), A) is None  # six characters
    assert best_path(frames(sure("A鲁P1234")), A) is None  # no province first


def test_quiet_frames_do_not_change_the_reading() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        text = "".join(
            [rng.choice(list("京沪粤川")), rng.choice(list("ABCDE"))]
            + [rng.choice(list("0123456789ABCDEFGHJK")) for _ in range(5)]
        )
        spec = [{c: float(rng.uniform(0.3, 0.9)), "8": 0.05} for c in text]
        probs = frames(spec, blanks=3)
        full = decoding._beam_search(probs, A, length=7, beam=8, quiet=2.0)
        fast = beam_search(probs, A, length=7)
        assert full is not None
        assert fast is not None
        assert fast[0] == full[0]
        assert fast[1] == pytest.approx(full[1], abs=1e-2)
        assert is_valid_plate(fast[0])


def test_confidences_and_scores_agree_with_the_brute_force_on_short_texts() -> None:
    # no grammar applies to a 2-character text: plain CTC
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.1, 0.7], [0.5, 0.4, 0.1]], dtype=np.float32)
    total = 0.0
    for path in itertools.product(range(3), repeat=3):
        collapsed = [k for k, _ in itertools.groupby(path) if k != 0]
        if collapsed == [1, 2]:
            total += math.prod(float(probs[t, k]) for t, k in enumerate(path))
    assert ctc_log_prob(probs, "AB", "AB") == pytest.approx(math.log(total), rel=1e-5)
    assert char_confidences(probs, "AB", "AB") == (pytest.approx(0.3), pytest.approx(0.7))


def test_prefixes_that_cannot_finish_do_not_crowd_out_the_reading() -> None:
    # faint 8s everywhere spawn many prefixes; those too short to finish in the frames that can
    # still emit a character are dropped, so the beam of 8 keeps the real reading
    spec = [
        {"粤": 0.33, "8": 0.05},
        {"E": 0.53, "8": 0.05},
        {"0": 0.55, "8": 0.05},
        {"G": 0.33, "8": 0.05},
        {"9": 0.33, "8": 0.05},
        {"A": 0.9, "8": 0.05},
        {"C": 0.69, "8": 0.05},
    ]
    probs = frames(spec, blanks=3)
    found = beam_search(probs, A, length=7)
    assert found is not None
    assert found[0] == "粤E0G9AC"
    assert found[1] == pytest.approx(ctc_log_prob(probs, A, "粤E0G9AC"), abs=1e-3)
