"""Tokens: listed and revoked by their owner, revoked when the password changes; session expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from smartduty.kernel.models import AuditEntry
from smartduty.org import services
from smartduty.org.models import ApiToken, Officer

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_tokens_are_revoked_when_the_password_changes(officer_a: Officer) -> None:
    _, raw = services.issue_token(user=officer_a.user)
    _, other_raw = services.issue_token(user=officer_a.user, name="tablet")
    assert _bearer(raw).get("/api/v1/me").status_code == 200
    user = officer_a.user
    user.set_password("a-new-pass-5678")
    user.save()
    assert _bearer(raw).get("/api/v1/me").status_code == 401
    assert _bearer(other_raw).get("/api/v1/me").status_code == 401
    entry = AuditEntry.objects.get(action="auth.tokens_revoked")
    assert entry.reason == "password_changed"
    assert entry.changes == {"count": 2}
    # saving the account for another reason revokes nothing
    _, fresh = services.issue_token(user=user)
    user.first_name = "张"
    user.save()
    assert _bearer(fresh).get("/api/v1/me").status_code == 200


def test_list_and_revoke_own_tokens(
    officer_a: Officer, officer_b: Officer, api_client: Callable[[Officer], Client]
) -> None:
    _, raw = services.issue_token(user=officer_a.user, name="phone")
    tablet, _ = services.issue_token(user=officer_a.user, name="tablet")
    theirs, _ = services.issue_token(user=officer_b.user)
    client = _bearer(raw)
    listed = client.get("/api/v1/auth/tokens")
    assert listed.status_code == 200
    rows = {row["name"]: row for row in listed.json()}
    assert set(rows) == {"phone", "tablet"}
    assert rows["phone"]["is_current"] is True
    assert rows["tablet"]["is_current"] is False
    assert "token" not in rows["phone"]
    # revoke another device of mine
    gone = client.delete(f"/api/v1/auth/tokens/{tablet.public_id}")
    assert gone.status_code == 204
    assert ApiToken.objects.get(pk=tablet.pk).revoked_at is not None
    # someone else's token: 404, untouched
    assert client.delete(f"/api/v1/auth/tokens/{theirs.public_id}").status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    # log out: revoke the current one
    assert client.delete("/api/v1/auth/tokens/current").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    assert AuditEntry.objects.filter(action="auth.token_revoked").count() == 2


def test_session_ends_after_idle_timeout_and_absolute_age(officer_a: Officer) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = Client()
        body = {"username": "officer_a", "password": "pass-1234"}
        assert client.post("/web/session", body, content_type="application/json").status_code == 200
        assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/api/v1/me").status_code == 200  # active within 30 min
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        assert client.get("/api/v1/me").status_code == 401  # 31 min idle
    assert AuditEntry.objects.filter(action="auth.session_expired").exists()

    with time_machine.travel(start, tick=False):
        busy = Client()
        assert busy.post("/web/session", body, content_type="application/json").status_code == 200
    for minutes in range(20, 8 * 60, 20):  # a request every 20 minutes for 8 hours
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert busy.get("/api/v1/me").status_code == 200
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        assert busy.get("/api/v1/me").status_code == 401
