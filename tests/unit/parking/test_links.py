"""Signed notice-verification links: round trips, tampering, other salts and keys, no expiry,
and notices printed in the earlier hand-made format."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import segno
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
CLAIM = NoticeClaim(number=NUMBER, report_public_id=REPORT, plate=PLATE)
NOW = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Printed before the switch to django.core.signing (made by the earlier code under LEGACY_KEY):
# such QR codes are on paper and must keep verifying.
LEGACY_KEY = "legacy-notice-test-key-0123456789abcdef"
LEGACY_TOKEN = "2bxwqjpTTS3qMIT5fCpt9RBBEUS0yMDI2MTEyOS0wMDA36bKBUEExMjM0asb-xyB8PNCCeWFw"
LEGACY_TOKEN_LONG_PLATE = (  # 鲁PA12345: 55 bytes, so the last character has 4 unused bits
    "2bxwqjpTTS3qMIT5fCpt9RBBEUS0yMDI2MTEyOS0wMDA36bKBUEExMjM0Ndd_V0ua7rmIQwe4Ew"
)


def _replace(token: str, index: int) -> str:
    """`token` with the character at `index` changed to another of its alphabet."""
    if token[index] not in ALPHABET:
        return token[:index] + "A" + token[index + 1 :]
    new = ALPHABET[(ALPHABET.index(token[index]) + 1) % len(ALPHABET)]
    return token[:index] + new + token[index + 1 :]


def _signed(claim: NoticeClaim, *, salt: str = links.NOTICE_SALT) -> str:
    signer = signing.Signer(salt=salt, algorithm="sha256")
    return signer.sign_object(claim, serializer=links._ClaimSerializer)


# -- the token ------------------------------------------------------------------------------


def test_notice_token_round_trip() -> None:
    token = make_notice_token(NUMBER, REPORT, PLATE)

    assert verify_notice_token(token) == CLAIM
    assert re.fullmatch(r"[A-Za-z0-9_-]+:[A-Za-z0-9_-]{43}", token)  # Signer: value:HMAC-SHA256
    assert notice_url(token) == f"http://127.0.0.1:8000/n/{token}"


def test_notice_url_stays_a_small_qr_code() -> None:
    """A compact payload keeps the printed QR code at version 7 (45 modules) for a short host;
    a JSON payload would need version 9 (53 modules) in the same 20 mm square."""
    token = make_notice_token(NUMBER, REPORT, PLATE)

    assert len(token) <= 100
    assert segno.make(f"https://sfs.cn/n/{token}", error="m", micro=False).version <= 7


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
        pytest.param(lambda _t: ":", id="separator-only"),
        pytest.param(lambda t: t.split(":")[0], id="payload-only"),
        pytest.param(lambda t: ":" + t.split(":")[1], id="signature-only"),
        pytest.param(lambda t: t[:-1], id="cut-short"),
        pytest.param(lambda t: t + "A", id="extended"),
        pytest.param(lambda t: t.replace(":", "=:"), id="padding"),
        pytest.param(lambda t: "." + t, id="compressed-flag"),
        pytest.param(lambda t: t[:5] + "鲁" + t[6:], id="non-ascii"),
        pytest.param(lambda t: t.swapcase(), id="swapcase"),
        pytest.param(lambda t: t * 3, id="very-long"),
        pytest.param(lambda _t: str(REPORT), id="bare-uuid"),
    ],
)
def test_malformed_notice_tokens_are_forged(mangle: Callable[[str], str]) -> None:
    token = make_notice_token(NUMBER, REPORT, PLATE)

    with pytest.raises(ForgedLink):
        verify_notice_token(mangle(token))


def test_every_altered_character_of_a_notice_token_is_forged() -> None:
    token = make_notice_token(NUMBER, REPORT, PLATE)

    for index in range(len(token)):
        with pytest.raises(ForgedLink):
            verify_notice_token(_replace(token, index))


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(NoticeClaim(NUMBER, REPORT, "鲁PB9999"), id="plate"),
        pytest.param(NoticeClaim(NUMBER, REPORT, "鲁PA12345"), id="plate-longer"),
        pytest.param(NoticeClaim("DQ-20261129-0008", REPORT, PLATE), id="number"),
        pytest.param(NoticeClaim(NUMBER, OTHER_REPORT, PLATE), id="report"),
    ],
)
def test_altered_notice_claim_is_forged(claim: NoticeClaim) -> None:
    """Another claim with the genuine signature, as a forger would try it."""
    signature = make_notice_token(NUMBER, REPORT, PLATE).split(":")[1]
    payload = _signed(claim).split(":")[0]

    with pytest.raises(ForgedLink):
        verify_notice_token(f"{payload}:{signature}")


@pytest.mark.parametrize(
    ("number", "plate"),
    [("", PLATE), (NUMBER, ""), ("N" * 65, PLATE), (NUMBER, "鲁" * 11)],
)
def test_notice_token_refuses_empty_or_oversized_fields(number: str, plate: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        make_notice_token(number, REPORT, plate)


# -- salts and keys -------------------------------------------------------------------------


def test_token_signed_with_another_salt_is_forged() -> None:
    assert verify_notice_token(_signed(CLAIM)) == CLAIM
    with pytest.raises(ForgedLink):
        verify_notice_token(_signed(CLAIM, salt="smartduty.zombie_cars.notice"))


def test_other_django_signed_values_are_forged() -> None:
    """`signing.dumps` with the notice salt (JSON, timestamped) and a plain `Signer` value."""
    dumped = signing.dumps([NUMBER, str(REPORT), PLATE], salt=links.NOTICE_SALT)
    plain = signing.Signer().sign(NUMBER)

    for token in (dumped, plain):
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
        assert verify_notice_token(token) == CLAIM
        assert make_notice_token(NUMBER, REPORT, PLATE) != token  # new tokens: the new key
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[]), pytest.raises(ForgedLink):
        verify_notice_token(token)


def test_notice_tokens_do_not_expire() -> None:
    """A printed notice carries no time: the same claim always gives the same token, and it
    verifies years later."""
    with time_machine.travel(NOW, tick=False) as traveller:
        token = make_notice_token(NUMBER, REPORT, PLATE)
        traveller.shift(timedelta(days=3650))
        assert make_notice_token(NUMBER, REPORT, PLATE) == token
        assert verify_notice_token(token) == CLAIM


# -- notices printed in the earlier format ------------------------------------------------


@pytest.mark.parametrize(
    ("key", "fallbacks"), [(LEGACY_KEY, []), ("the-next-key-0123456789abcdef", [LEGACY_KEY])]
)
def test_notices_printed_in_the_earlier_format_still_verify(key: str, fallbacks: list[str]) -> None:
    with override_settings(SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks):
        assert verify_notice_token(LEGACY_TOKEN) == CLAIM
        assert verify_notice_token(LEGACY_TOKEN_LONG_PLATE).plate == "鲁PA12345"
        assert ":" in make_notice_token(NUMBER, REPORT, PLATE)  # never made any more


@override_settings(SECRET_KEY=LEGACY_KEY)
def test_every_altered_character_of_an_earlier_token_is_forged() -> None:
    for index in range(len(LEGACY_TOKEN)):
        with pytest.raises(ForgedLink):
            verify_notice_token(_replace(LEGACY_TOKEN, index))


@override_settings(SECRET_KEY=LEGACY_KEY)
def test_earlier_token_in_another_spelling_or_cut_is_forged() -> None:
    last = ALPHABET.index(LEGACY_TOKEN_LONG_PLATE[-1])
    assert last & 0b1111 == 0  # four unused bits; setting one must not verify

    for token in (
        LEGACY_TOKEN_LONG_PLATE[:-1] + ALPHABET[last | 1],
        LEGACY_TOKEN + "=",
        LEGACY_TOKEN[:14],
        LEGACY_TOKEN[0],
    ):
        with pytest.raises(ForgedLink):
            verify_notice_token(token)


def test_earlier_token_under_another_secret_is_forged() -> None:
    with pytest.raises(ForgedLink):
        verify_notice_token(LEGACY_TOKEN)
