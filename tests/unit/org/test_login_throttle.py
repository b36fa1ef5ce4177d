"""Log-in throttle: per (account, source), per source, per account; audited; 429 + Retry-After."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/tokens"


def _token(ip: str, username: str, password: str) -> int:
    response = Client(REMOTE_ADDR=ip).post(
        URL, {"username": username, "password": password}, content_type="application/json"
    )
    return response.status_code


def test_failures_from_one_source_do_not_lock_the_victim_out_elsewhere(
    officer_a: Officer,
) -> None:
    for _ in range(5):
        assert _token("203.0.113.9", "officer_a", "guess") == 401
    # the stranger's address is locked for this account, even with the right password
    assert _token("203.0.113.9", "officer_a", "pass-1234") == 429
    # the owner, from their own phone's address, logs in
    assert _token("198.51.100.7", "officer_a", "pass-1234") == 201
    rows = AuditEntry.objects.filter(object_id="officer_a")
    actions = list(rows.values_list("action", flat=True))
    assert actions.count("auth.login_failed") == 5
    assert "auth.login_locked" in actions
    assert "auth.login_throttled" in actions
    assert "auth.login_succeeded" in actions


def test_throttled_answer_is_429_with_retry_after_and_lifts(officer_a: Officer) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        body = {"username": "officer_a", "password": "x"}
        client.post(URL, body, content_type="application/json")
    locked = client.post(
        URL, {"username": "officer_a", "password": "pass-1234"}, content_type="application/json"
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert "锁定" in locked.json()["message"]
    assert 1 <= int(locked["Retry-After"]) <= 900
    with time_machine.travel(timezone.now() + timedelta(seconds=901), tick=False):
        ok = client.post(
            URL, {"username": "officer_a", "password": "pass-1234"}, content_type="application/json"
        )
    assert ok.status_code == 201


def test_one_source_guessing_many_usernames_is_limited(officer_a: Officer) -> None:
    for n in range(20):
        assert _token("203.0.113.50", f"user{n}", "guess") == 401
    assert _token("203.0.113.50", "officer_a", "pass-1234") == 429
    assert _token("203.0.113.51", "officer_a", "pass-1234") == 201
    assert AuditEntry.objects.filter(
        action="auth.login_locked", changes__scope="source", ip_address="203.0.113.50"
    ).exists()


def test_account_ceiling_slows_guessing_but_never_locks_the_account(officer_a: Officer) -> None:
    for source in range(5):  # 20 failures, 4 from each of 5 addresses: no pair is locked
        for _ in range(4):
            assert _token(f"192.0.2.{source}", "officer_a", "guess") == 401
    # now each address gets a single wrong try for this account
    assert _token("192.0.2.100", "officer_a", "guess") == 401
    assert _token("192.0.2.100", "officer_a", "guess") == 429
    # and a clean address with the right password still logs in
    assert _token("192.0.2.200", "officer_a", "pass-1234") == 201


def test_username_case_counts_together(officer_a: Officer) -> None:
    for name in ("officer_a", "OFFICER_A", "Officer_A", "officer_A", "OFFICER_a"):
        assert _token("203.0.113.9", name, "guess") == 401
    assert _token("203.0.113.9", "officer_a", "pass-1234") == 429


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(officer_a: Officer) -> None:
    for _ in range(5):
        response = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
            URL, {"username": "officer_a", "password": "x"}, content_type="application/json"
        )
        assert response.status_code == 401
    assert (
        AuditEntry.objects.filter(action="auth.login_failed", ip_address="203.0.113.9").count() == 5
    )
    # a direct client cannot pick its address with the header
    spoofed = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
        URL, {"username": "officer_a", "password": "pass-1234"}, content_type="application/json"
    )
    assert spoofed.status_code == 201
    behind_proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
        URL, {"username": "officer_a", "password": "pass-1234"}, content_type="application/json"
    )
    assert behind_proxy.status_code == 429


def test_web_session_login_is_throttled_with_retry_after(officer_a: Officer) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        wrong = client.post(
            "/web/session",
            {"username": "officer_a", "password": "x"},
            content_type="application/json",
        )
        assert wrong.status_code == 401
    locked = client.post(
        "/web/session",
        {"username": "officer_a", "password": "pass-1234"},
        content_type="application/json",
    )
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 1
    failed = AuditEntry.objects.filter(action="auth.login_failed", changes__channel="web")
    assert failed.count() == 5


def test_admin_login_is_throttled_and_audited(commander: Officer) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        wrong = client.post(
            "/admin/login/", {"username": "commander", "password": "guess", "next": "/admin/"}
        )
        assert wrong.status_code == 200
        assert "账号或密码错误" in wrong.content.decode()
    locked = client.post(
        "/admin/login/", {"username": "commander", "password": "pass-1234", "next": "/admin/"}
    )
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 1
    assert "临时锁定" in locked.content.decode()
    assert client.get("/admin/").status_code == 302  # not logged in
    failed = AuditEntry.objects.filter(action="auth.login_failed", changes__channel="admin")
    assert failed.count() == 5
    assert AuditEntry.objects.filter(action="auth.login_locked", changes__channel="admin").exists()
    # the owner from another address is not locked out
    other = Client(REMOTE_ADDR="198.51.100.7")
    ok = other.post(
        "/admin/login/", {"username": "commander", "password": "pass-1234", "next": "/admin/"}
    )
    assert ok.status_code == 302
    assert other.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(
        action="auth.login_succeeded", changes__channel="admin", actor=commander.user
    ).exists()
