"""Signed notice-verification links: round trips, tampering, other salts and keys, no expiry."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django.test import override_settings

from smartduty.parking import links
from smartduty.parking.links import (
    ForgedLink,
    LinkError,
    NoticeClaim,
    make_notice_token,
    notice_url,
    verify_notice_token,
)

REPORT = uuid.UUID("6f1c2a8e-94d3-4b7a-8c21-3e5f0a9b7d44")
OTHER_REPORT = uuid.UUID("0d8b6e2f-1a3c-4e5d-9f70-112233445566")
NUMBER = "DQ-20261129-0007"
PLATE = "鲁PA1234"
NOW = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _replace(token: str, index: int) -> str:
    """`token` with the character at `index` changed to the next one in the alphabet."""
    new = ALPHABET[(ALPHABET.index(token[index]) + 1) % len(ALPHABET)]
    return token[:index] + new + token[index + 1 :]


def _split(token: str, mac_size: int) -> tuple[str, bytes, bytes]:
    raw = base64.urlsafe_b64decode(token[1:] + "=" * (-len(token[1:]) % 4))
    return token[0], raw[:-mac_size], raw[-mac_size:]


def _join(key_id: str, payload: bytes, mac: bytes) -> str:
    return key_id + base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


# -- sealing --------------------------------------------------------------------------------


def _notice_payload(number: str, report: uuid.UUID, plate: str) -> bytes:
    number_bytes = number.encode()
    return report.bytes + bytes([len(number_bytes)]) + number_bytes + plate.encode()


@override_settings(PUBLIC_BASE_URL="https://sfs.cn/")
def test_url_uses_public_base_url_without_double_slash() -> None:
    assert notice_url("xyz") == "https://sfs.cn/n/xyz"


def test_forged_link_is_a_link_error_and_a_bad_signature() -> None:
    """The notice page catches `LinkError`; Django-style handlers catch `BadSignature`."""
    with pytest.raises(ForgedLink) as caught:
        verify_notice_token(_replace(make_notice_token(NUMBER, REPORT, PLATE), 5))

    assert isinstance(caught.value, LinkError)
    assert isinstance(caught.value, signing.BadSignature)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda _t: "", id="empty"),
        pytest.param(lambda t: t[0], id="key-id-only"),
        pytest.param(lambda t: t[:-1], id="cut-short"),
        pytest.param(lambda t: t + "A", id="extended"),
        pytest.param(lambda t: t + "=", id="padding"),
        pytest.param(lambda t: t[:5] + "+" + t[6:], id="plain-base64-char"),
        pytest.param(lambda t: t[:5] + "鲁" + t[6:], id="non-ascii"),
        pytest.param(lambda t: t.swapcase(), id="swapcase"),
        pytest.param(lambda t: t * 6, id="very-long"),
        pytest.param(lambda _t: str(REPORT), id="bare-uuid"),
    ],
)
def test_malformed_notice_tokens_are_forged(mangle: Callable[[str], str]) -> None:
    token = make_notice_token(NUMBER, REPORT, PLATE)

    with pytest.raises(ForgedLink):
        verify_notice_token(mangle(token))


def test_non_canonical_base64_spelling_is_forged() -> None:
    """55 bytes leave 4 unused bits in the last character; setting them must not verify."""
    token = make_notice_token(NUMBER, REPORT, "鲁PA12345")
    _, payload, mac = _split(token, links.NOTICE_MAC_BYTES)
    assert len(payload + mac) % 3 == 1
    last = ALPHABET.index(token[-1])
    assert last & 0b1111 == 0

    with pytest.raises(ForgedLink):
        verify_notice_token(token[:-1] + ALPHABET[last | 1])


def test_token_sealed_with_another_salt_is_forged() -> None:
    payload = _notice_payload(NUMBER, REPORT, PLATE)
    genuine = links._seal(links.NOTICE_SALT, payload, links.NOTICE_MAC_BYTES)
    token = links._seal("smartduty.zombie_cars.notice", payload, links.NOTICE_MAC_BYTES)

    assert verify_notice_token(genuine).plate == PLATE
    with pytest.raises(ForgedLink):
        verify_notice_token(token)


def test_django_signing_token_is_forged() -> None:
    token = signing.dumps([NUMBER, str(REPORT), PLATE], salt=links.NOTICE_SALT, compress=True)

    with pytest.raises(ForgedLink):
        verify_notice_token(token)


def test_token_signed_with_another_secret_is_forged() -> None:
    with override_settings(SECRET_KEY="another-deployment-secret-key-0123456789"):
        token = make_notice_token(NUMBER, REPORT, PLATE)

    with pytest.raises(ForgedLink):
        verify_notice_token(token)


def test_rotated_key_is_accepted_from_fallbacks_only() -> None:
    old, new = "old-secret-key-0123456789abcdef", "new-secret-key-0123456789abcdef"
    with override_settings(SECRET_KEY=old):
        token = make_notice_token(NUMBER, REPORT, PLATE)

    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old]):
        assert verify_notice_token(token) == NoticeClaim(
            number=NUMBER, report_public_id=REPORT, plate=PLATE
        )
        assert make_notice_token(NUMBER, REPORT, PLATE)[0] == links._key_id(new)
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[]), pytest.raises(ForgedLink):
        verify_notice_token(token)


# -- notice links ---------------------------------------------------------------------------


def test_notice_token_round_trip() -> None:
    token = make_notice_token(NUMBER, REPORT, PLATE)

    assert verify_notice_token(token) == NoticeClaim(
        number=NUMBER, report_public_id=REPORT, plate=PLATE
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert notice_url(token) == f"http://127.0.0.1:8000/n/{token}"
    assert len(token) < 80


@pytest.mark.parametrize(
    ("number", "report", "plate"),
    [
        pytest.param(NUMBER, REPORT, "鲁PB9999", id="plate"),
        pytest.param(NUMBER, REPORT, "鲁PA12345", id="plate-longer"),
        pytest.param("DQ-20261129-0008", REPORT, PLATE, id="number"),
        pytest.param(NUMBER, OTHER_REPORT, PLATE, id="report"),
    ],
)
def test_altered_notice_claim_is_forged(number: str, report: uuid.UUID, plate: str) -> None:
    """Re-encode the payload with one field changed and the original MAC, as a forger would."""
    key_id, _, mac = _split(make_notice_token(NUMBER, REPORT, PLATE), links.NOTICE_MAC_BYTES)
    number_bytes = number.encode()
    forged_payload = report.bytes + bytes([len(number_bytes)]) + number_bytes + plate.encode()

    with pytest.raises(ForgedLink):
        verify_notice_token(_join(key_id, forged_payload, mac))


def test_every_altered_character_of_a_notice_token_is_forged() -> None:
    token = make_notice_token(NUMBER, REPORT, PLATE)

    for index in range(len(token)):
        with pytest.raises(ForgedLink):
            verify_notice_token(_replace(token, index))


@pytest.mark.parametrize(
    ("number", "plate"),
    [("", PLATE), (NUMBER, ""), ("N" * 65, PLATE), (NUMBER, "鲁" * 11)],
)
def test_notice_token_refuses_empty_or_oversized_fields(number: str, plate: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        make_notice_token(number, REPORT, plate)


def test_notice_tokens_do_not_expire() -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        token = make_notice_token(NUMBER, REPORT, PLATE)
        traveller.shift(timedelta(days=3650))
        assert verify_notice_token(token).number == NUMBER
