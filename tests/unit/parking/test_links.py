"""Signed owner and notice links: round trips, tampering, other salts and keys, expiry, length."""

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
    ExpiredLink,
    ForgedLink,
    LinkError,
    NoticeClaim,
    make_notice_token,
    make_owner_token,
    notice_url,
    owner_url,
    read_owner_token,
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


# -- owner links ----------------------------------------------------------------------------


def test_owner_token_round_trip() -> None:
    token = make_owner_token(REPORT)

    assert read_owner_token(token) == REPORT
    assert read_owner_token(token, max_age=60) == REPORT
    assert make_owner_token(OTHER_REPORT) != token


def test_owner_token_is_short_fixed_length_and_url_safe() -> None:
    token = make_owner_token(REPORT)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) == links.OWNER_TOKEN_LENGTH == 39
    # 40 characters for the whole link cannot be reached at the default base URL: its
    # "http://127.0.0.1:8000/o/" prefix is 24 characters and the bare 16-byte report id is
    # 22 more. The token is 1 key-id character + base64url(16 id + 4 time + 8 MAC bytes) = 1 + 38.
    assert owner_url(token) == f"http://127.0.0.1:8000/o/{token}"
    assert len(owner_url(token)) == 24 + 39


@override_settings(PUBLIC_BASE_URL="https://sfs.cn/")
def test_urls_use_public_base_url_without_double_slash() -> None:
    assert owner_url("abc") == "https://sfs.cn/o/abc"
    assert notice_url("xyz") == "https://sfs.cn/n/xyz"


def test_every_altered_character_of_an_owner_token_is_forged() -> None:
    token = make_owner_token(REPORT)

    for index in range(len(token)):
        with pytest.raises(ForgedLink):
            read_owner_token(_replace(token, index))


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
def test_malformed_owner_tokens_are_forged(mangle: Callable[[str], str]) -> None:
    token = make_owner_token(REPORT)

    with pytest.raises(ForgedLink):
        read_owner_token(mangle(token))


def test_non_canonical_base64_spelling_is_forged() -> None:
    """28 bytes leave 4 unused bits in the last character; setting them must not verify."""
    token = make_owner_token(REPORT)
    last = ALPHABET.index(token[-1])
    assert last & 0b1111 == 0
    with pytest.raises(ForgedLink):
        read_owner_token(token[:-1] + ALPHABET[last | 1])


def test_owner_payload_with_another_report_keeps_failing() -> None:
    key_id, payload, mac = _split(make_owner_token(REPORT), links.OWNER_MAC_BYTES)
    swapped = OTHER_REPORT.bytes + payload[16:]

    with pytest.raises(ForgedLink):
        read_owner_token(_join(key_id, swapped, mac))


def test_token_sealed_with_another_salt_is_forged() -> None:
    payload = links._OWNER_PAYLOAD.pack(REPORT.bytes, int(NOW.timestamp()))
    token = links._seal("smartduty.zombie_cars.owner", payload, links.OWNER_MAC_BYTES)

    with pytest.raises(ForgedLink):
        read_owner_token(token)


def test_django_signing_token_is_forged() -> None:
    token = signing.dumps(str(REPORT), salt=links.OWNER_SALT, compress=True)

    with pytest.raises(ForgedLink):
        read_owner_token(token)


def test_owner_and_notice_tokens_are_not_interchangeable() -> None:
    with pytest.raises(ForgedLink):
        verify_notice_token(make_owner_token(REPORT))
    with pytest.raises(ForgedLink):
        read_owner_token(make_notice_token(NUMBER, REPORT, PLATE))


def test_token_signed_with_another_secret_is_forged() -> None:
    with override_settings(SECRET_KEY="another-deployment-secret-key-0123456789"):
        token = make_owner_token(REPORT)

    with pytest.raises(ForgedLink):
        read_owner_token(token)


def test_rotated_key_is_accepted_from_fallbacks_only() -> None:
    old, new = "old-secret-key-0123456789abcdef", "new-secret-key-0123456789abcdef"
    with override_settings(SECRET_KEY=old):
        owner = make_owner_token(REPORT)
        notice = make_notice_token(NUMBER, REPORT, PLATE)

    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old]):
        assert read_owner_token(owner) == REPORT
        assert verify_notice_token(notice).plate == PLATE
        assert make_owner_token(REPORT)[0] == links._key_id(new)
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[]), pytest.raises(ForgedLink):
        read_owner_token(owner)


def test_owner_token_expires_after_max_age() -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        token = make_owner_token(REPORT)
        traveller.shift(timedelta(hours=24))
        assert read_owner_token(token, max_age=24 * 3600) == REPORT
        assert read_owner_token(token, max_age=timedelta(days=1)) == REPORT

        traveller.shift(timedelta(seconds=1))
        with pytest.raises(ExpiredLink) as caught:
            read_owner_token(token, max_age=timedelta(days=1))
        assert read_owner_token(token) == REPORT  # no max_age: any age

    assert caught.value.report_public_id == REPORT
    assert caught.value.age_seconds == 24 * 3600 + 1
    assert not isinstance(caught.value, ForgedLink)
    assert isinstance(caught.value, LinkError)
    assert isinstance(caught.value, signing.BadSignature)


def test_forgery_is_reported_before_expiry() -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        token = make_owner_token(REPORT)
        traveller.shift(timedelta(days=30))
        with pytest.raises(ForgedLink):
            read_owner_token(_replace(token, 5), max_age=60)


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
