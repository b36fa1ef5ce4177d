"""Rotating the field key: old ciphertexts stay readable, `rotate_field_key` rewrites them.

Ciphertexts name their key (`f2:<key id>:…`); with the old secret in the fallbacks every row
reads during the rotation, officers still find their app notifications (digests are matched
under every configured key), and the command re-encrypts vehicles' owner phones and messages'
addresses (recomputing the digests), idempotently. Rows no configured key reads make it fail
clearly and stay as they were.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from smartduty.kernel import crypto
from smartduty.notifications.addresses import recipient_digest
from smartduty.notifications.models import Delivery
from smartduty.notifications.selectors import list_app_notifications
from smartduty.org.models import Officer
from smartduty.vehicles.models import Vehicle
from tests.factories.notifications import PHONE, make_app_notice, make_sms
from tests.factories.org import City
from tests.factories.vehicles import make_vehicle

OLD = "old-field-key-for-tests-0123456789"
NEW = "new-field-key-for-tests-9876543210"

pytestmark = pytest.mark.django_db


def test_a_ciphertext_names_its_key_and_reads_with_a_fallback() -> None:
    with override_settings(FIELD_ENCRYPTION_KEY=OLD, FIELD_ENCRYPTION_KEY_FALLBACKS=[]):
        stored = crypto.encrypt_text(PHONE)
        assert stored.startswith(f"f2:{crypto.key_id(OLD)}:")
        assert crypto.is_current(stored)
    assert crypto.key_id(OLD) != crypto.key_id(NEW)
    assert PHONE not in stored
    with override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[OLD]):
        assert crypto.decrypt_text(stored) == PHONE
        assert not crypto.is_current(stored)
        assert crypto.is_current(crypto.encrypt_text(PHONE))
    with (
        override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[]),
        pytest.raises(ValueError, match="not configured"),
    ):
        crypto.decrypt_text(stored)


def test_first_format_ciphertexts_still_read() -> None:
    legacy = "f1:" + crypto._fernet(OLD).encrypt(PHONE.encode()).decode()
    with override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[OLD]):
        assert crypto.decrypt_text(legacy) == PHONE
    with (
        override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[]),
        pytest.raises(ValueError, match="cannot be decrypted"),
    ):
        crypto.decrypt_text(legacy)


def _stored() -> list[str]:
    return [
        *Vehicle.objects.order_by("pk").values_list("owner_phone_encrypted", flat=True),
        *Delivery.objects.order_by("pk").values_list("recipient_encrypted", flat=True),
    ]


def test_the_command_re_encrypts_everything_under_the_new_key(
    city: City, officer_a: Officer, capsys: pytest.CaptureFixture[str]
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEY=OLD, FIELD_ENCRYPTION_KEY_FALLBACKS=[]):
        for i in range(5):
            make_vehicle(city.district_a, owner_phone=f"1391234567{i}")
        for i in range(3):
            make_sms(address=f"1381234567{i}", provider="console")
        notice = make_app_notice(officer_a.public_id, provider="console")
        erased = make_sms(address="13700000000", provider="console")
        Delivery.objects.filter(pk=erased.pk).update(recipient_encrypted="", recipient_digest="")
        before = _stored()
    with override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[OLD]):
        # during the rotation: everything reads, the officer still sees the notification
        plain = [crypto.decrypt_text(s) for s in before if s]
        assert plain == [
            *(f"1391234567{i}" for i in range(5)),
            *(f"1381234567{i}" for i in range(3)),
            str(officer_a.public_id),
        ]
        assert [d.pk for d in list_app_notifications(officer_public_id=officer_a.public_id)] == [
            notice.pk
        ]
        call_command("rotate_field_key", "--batch-size", "2")
        out = capsys.readouterr().out
        assert "vehicles.owner_phone: 5/5" in out
        assert "notifications.recipient: 4/4" in out
        after = _stored()
        assert all(crypto.is_current(s) for s in after if s)
        assert [crypto.decrypt_text(s) for s in after if s] == plain
        assert "" in after  # the erased address stays erased
        notice.refresh_from_db()
        assert notice.recipient_digest == recipient_digest("app_push", str(officer_a.public_id))
        call_command("rotate_field_key")  # nothing left: a second run changes nothing
        assert _stored() == after
        assert "0 条待轮换" in capsys.readouterr().out
    with override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[]):
        # the old key can go: the notification is found with the new key alone
        assert [d.pk for d in list_app_notifications(officer_public_id=officer_a.public_id)] == [
            notice.pk
        ]


def test_rows_no_configured_key_reads_fail_the_command_and_stay(city: City) -> None:
    with override_settings(FIELD_ENCRYPTION_KEY=OLD, FIELD_ENCRYPTION_KEY_FALLBACKS=[]):
        make_vehicle(city.district_a)
    before = _stored()
    with (
        override_settings(FIELD_ENCRYPTION_KEY=NEW, FIELD_ENCRYPTION_KEY_FALLBACKS=[]),
        pytest.raises(CommandError, match="SMARTDUTY_FIELD_KEY_FALLBACKS"),
    ):
        call_command("rotate_field_key")
    assert _stored() == before
