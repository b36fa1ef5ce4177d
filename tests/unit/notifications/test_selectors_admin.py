"""Outbox reads, the port's value objects, and the read-only back office."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from smartduty.kernel.errors import NotFound
from smartduty.notifications import outbox, selectors, services
from smartduty.notifications.models import ConsoleMessage, Delivery
from smartduty.notifications.ports import OutboundMessage
from smartduty.notifications.providers.recording import RecordingSender
from tests.factories.notifications import PHONE, make_app_notice, make_sms

pytestmark = pytest.mark.django_db


def test_list_app_notifications_shows_one_officers_inbox(recorders: object) -> None:
    me, colleague = uuid.uuid4(), uuid.uuid4()
    first = make_app_notice(me, body="第一条")
    make_app_notice(colleague)
    second = make_app_notice(str(me), body="第二条")
    cancelled = make_app_notice(me, body="撤回")
    services.cancel_pending(subject_type="tests.report", subject_id=cancelled.subject_id)
    inbox = list(selectors.list_app_notifications(officer_public_id=me))
    assert [d.pk for d in inbox] == [second.pk, first.pk]
    Delivery.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(hours=1))
    recent = selectors.list_app_notifications(
        officer_public_id=me, since=first.created_at - timedelta(minutes=1)
    )
    assert [d.pk for d in recent] == [second.pk]


def test_list_deliveries_for_subject_and_get_delivery(sms: RecordingSender) -> None:
    a = make_sms(subject_id="9")
    b = make_sms(subject_id="9")
    make_sms(subject_id="10")
    rows = selectors.list_deliveries_for_subject(subject_type="tests.report", subject_id="9")
    assert [d.pk for d in rows] == [a.pk, b.pk]
    assert selectors.get_delivery(public_id=a.public_id).pk == a.pk
    with pytest.raises(NotFound, match="未找到该消息记录"):
        selectors.get_delivery(public_id=uuid.uuid4())


def test_outbound_message_hides_the_address_and_freezes_params() -> None:
    params = {"plate": "京A12345"}
    msg = OutboundMessage(
        address=PHONE,
        template_code="SD_MOVE_001",
        params=params,
        signature="示范城管",
        rendered_text="…",
        idempotency_key="k",
    )
    params["plate"] = "changed"
    assert msg.params["plate"] == "京A12345"
    assert PHONE not in repr(msg)
    with pytest.raises(TypeError):
        msg.params["plate"] = "x"  # type: ignore[index]  # proving it is read-only


def test_admin_lists_are_read_only_and_masked(admin_client: Client) -> None:
    delivery = make_sms(provider="console")
    outbox.send_next_due()
    for name in ("delivery", "consolemessage"):
        page = admin_client.get(reverse(f"admin:notifications_{name}_changelist"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "138****8000" in body
        assert PHONE not in body
    detail = admin_client.get(reverse("admin:notifications_delivery_change", args=[delivery.pk]))
    assert detail.status_code == 200
    assert PHONE not in detail.content.decode()
    assert delivery.recipient_encrypted[:12] not in detail.content.decode()
    assert admin_client.get(reverse("admin:notifications_delivery_add")).status_code == 403
    message = ConsoleMessage.objects.get()
    assert (
        admin_client.post(
            reverse("admin:notifications_consolemessage_delete", args=[message.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
