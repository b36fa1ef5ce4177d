"""Constrained CTC decoding: the grammar automaton, beam search, scores and confidences."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from smartduty.recognition.engine.decode import (
    KIND_PRIOR,
    beam_search,
    char_confidences,
    ctc_log_prob,
    decode,
    grammar,
    log_prior,
)
from smartduty.recognition.engine.reader import PLATE_ALPHABET
from smartduty.vehicles.plates import PlateKind, allowed_next_chars, is_valid_plate
from tests.unit.recognition.ctc_frames import frames, sure

A = PLATE_ALPHABET


def test_automaton_matches_the_validators_grammar() -> None:
    rng = random.Random(4)
    for length in (7, 8):
        automaton = grammar(A, length)
        for _ in range(300):
            state, prefix = automaton.start, ""
            for position in range(length):
                allowed = automaton.allowed(state, position)
                expected = allowed_next_chars(prefix, length)
                assert {A[i] for i in allowed} == expected, prefix
                if not allowed:
                    break
                index = rng.choice(sorted(allowed))
                state = automaton.step(state, position, index)
                prefix += A[index]
            assert is_valid_plate(prefix) or not automaton.allowed(state, len(prefix) - 1)


def test_reads_a_clean_plate() -> None:
    best = decode(frames(sure("鲁PA1234")), A)[0]
    assert best.text == "鲁PA1234"
    assert best.confidence > 0.6
    assert len(best.char_confidences) == 7
    assert min(best.char_confidences) == pytest.approx(0.95, abs=1e-3)


def test_grammar_turns_o_into_0_and_rejects_i_in_the_serial() -> None:
    spec = [*sure("鲁PA12"), {"O": 0.7, "0": 0.25}, {"I": 0.6, "1": 0.35}]
    assert decode(frames(spec), A)[0].text == "鲁PA1201"


def test_letter_second_digit_elsewhere_d_and_0() -> None:
    # position 2 is the authority letter: 0 is impossible there, D wins
    spec = [{"京": 0.9}, {"0": 0.6, "D": 0.35}, *sure("12345")]
    assert decode(frames(spec), A)[0].text == "京D12345"


@pytest.mark.parametrize(
    ("q", "d", "expected"), [(0.02, 0.01, "皖QA2825"), (0.01, 0.02, "皖DA2825")]
)
def test_a_round_authority_letter_is_shared_by_the_readers_own_q_and_d(
    q: float, d: float, expected: str
) -> None:
    # a blurred 皖Q: the reader sees a round glyph, mostly "0" (forbidden there), some "O" (a
    # rare, allowed letter); its own Q and D decide where the 0 goes
    spec = [{"皖": 0.95}, {"0": 0.8, "O": 0.15, "Q": q, "D": d}, *sure("A2825")]
    probs = frames(spec)
    best = decode(probs, A)[0]
    assert best.text == expected
    share = 0.8 * max(q, d) / (q + d) + max(q, d)
    assert best.char_confidences[1] == pytest.approx(share, abs=1e-3)
    text, log_prob = beam_search(probs, A, length=7) or ("", 0.0)
    assert text == expected
    assert log_prob == pytest.approx(ctc_log_prob(probs, A, expected), abs=1e-3)


def test_province_comes_first_even_when_a_letter_looks_likelier() -> None:
    spec = [{"A": 0.5, "皖": 0.4}, *sure("A12345")]
    assert decode(frames(spec), A)[0].text == "皖A12345"


def test_new_energy_plate_of_eight() -> None:
    readings = decode(frames(sure("粤BD12345")), A)
    assert readings[0].text == "粤BD12345"
    assert {len(r.text) for r in readings} == {7, 8}


def test_double_letters_need_a_blank_between_them() -> None:
    spec = [*sure("皖AD1"), {"4": 0.95}, {"4": 0.95}, *sure("88")]
    probs = frames(spec, blanks=0)
    # without blanks, 44 and 88 collapse: a 7-character reading is all CTC allows
    assert all(r.text != "皖AD14488" for r in decode(probs, A))
    assert decode(frames(spec), A, lengths=(8,))[0].text == "皖AD14488"


def test_too_few_frames_give_no_reading() -> None:
    assert beam_search(frames(sure("鲁PA"), blanks=0), A, length=7) is None
    assert decode(frames(sure("鲁PA")), A) == []


def test_ctc_log_prob_matches_brute_force() -> None:
    alphabet = "AB"
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), size=4).astype(np.float32)
    total = {}
    for path in itertools.product(range(3), repeat=4):
        collapsed = [k for k, _ in itertools.groupby(path) if k != 0]
        text = "".join(alphabet[k - 1] for k in collapsed)
        total[text] = total.get(text, 0.0) + math.prod(
            float(probs[t, k]) for t, k in enumerate(path)
        )
    for text in ("A", "AB", "BA", "AA", "ABA"):
        assert ctc_log_prob(probs, alphabet, text) == pytest.approx(math.log(total[text]), rel=1e-4)


def test_beam_search_score_is_the_ctc_probability() -> None:
    probs = frames(sure("沪C36912"))
    text, log_prob = beam_search(probs, A, length=7) or ("", 0.0)
    assert text == "沪C36912"
    assert log_prob == pytest.approx(ctc_log_prob(probs, A, text), abs=1e-3)


def test_char_confidences_point_at_the_weak_character() -> None:
    spec = [*sure("川A5H"), {"2": 0.4, "Z": 0.3}, *sure("K8")]
    probs = frames(spec)
    best = decode(probs, A)[0]
    assert best.text == "川A5H2K8"
    weakest = min(range(7), key=lambda i: best.char_confidences[i])
    assert weakest == 4
    assert char_confidences(probs, A, best.text)[4] == pytest.approx(0.4, abs=1e-3)


def test_a_near_tie_between_green_kinds_goes_to_the_car_plate() -> None:
    # third character 0 (bus/truck plate: digits) or D (car plate: D/F letter); the last one
    # 8 or B: each kind folds the other's look-alike in, so the frames favour the bus plate
    spec = [*sure("皖A"), {"0": 0.5, "D": 0.4}, *sure("1448"), {"8": 0.5, "B": 0.45}]
    probs = frames(spec)
    car, bus = "皖AD14488", "皖A01448B"
    assert ctc_log_prob(probs, A, bus) > ctc_log_prob(probs, A, car)
    assert math.log(KIND_PRIOR[PlateKind.NEV_LARGE]) < ctc_log_prob(probs, A, car) - ctc_log_prob(
        probs, A, bus
    )
    best = decode(probs, A, lengths=(8,))[0]
    assert best.text == car
    # the confidence is the reader's own probability; the prior only chose between texts
    assert best.log_prob == pytest.approx(ctc_log_prob(probs, A, car), abs=1e-3)
    assert best.log_prior == 0.0
    text, log_prob = beam_search(probs, A, length=8) or ("", 0.0)
    assert (text, round(log_prob, 3)) == (car, round(ctc_log_prob(probs, A, car), 3))


def test_a_clear_bus_plate_still_reads_and_keeps_its_confidence() -> None:
    probs = frames(sure("粤B12345D"))
    best = decode(probs, A, lengths=(8,))[0]
    assert best.text == "粤B12345D"
    assert best.log_prior == pytest.approx(math.log(KIND_PRIOR[PlateKind.NEV_LARGE]))
    assert best.confidence == pytest.approx(math.exp(ctc_log_prob(probs, A, "粤B12345D")))
    assert best.confidence > 0.6
    assert log_prior(A, "粤BD12345") == 0.0
    assert log_prior(A, "鲁PA1234") == 0.0
