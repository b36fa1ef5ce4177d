"""Two-factor (TOTP) for the command centre, the back office and app tokens, per role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from smartduty.kernel.models import AuditEntry
from smartduty.org import otp
from smartduty.org.models import Officer

pytestmark = pytest.mark.django_db

ENFORCED = ["sysadmin", "command", "squad_leader"]


@pytest.fixture(autouse=True)
def _enforce(settings: Any) -> None:
    settings.OTP_REQUIRED_ROLES = ENFORCED


def _code(user: Any) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def _later(steps: int = 1) -> Any:
    """A later 30-second step: a TOTP code is accepted once only, and django-otp makes a
    device wait a moment after a wrong code."""
    return time_machine.travel(timezone.now() + timedelta(seconds=31 * steps), tick=False)


def _session_post(client: Client, url: str, body: dict[str, Any]) -> Any:
    token = client.cookies["csrftoken"].value
    return client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)


def _enrol_by_session(client: Client, username: str) -> list[str]:
    client.get("/web/session")
    first = _session_post(client, "/web/session", {"username": username, "password": "pass-1234"})
    assert first.status_code == 200
    assert first.json() == {"authenticated": False, "username": username, "otp_stage": "enrol"}
    setup = _session_post(client, "/web/otp/setup", {})
    assert setup.status_code == 200
    body = setup.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg_data_uri"].startswith("data:image/svg+xml")
    user = Officer.objects.get(user__username=username).user
    done = _session_post(client, "/web/otp/confirm", {"otp": _code(user)})
    assert done.status_code == 200
    assert done.json()["authenticated"] is True
    codes: list[str] = done.json()["recovery_codes"]
    assert len(codes) == 10
    return codes


def test_command_centre_enrolment_then_login_with_code(commander: Officer) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/web/session")
    _session_post(client, "/web/session", {"username": "commander", "password": "pass-1234"})
    # password alone: the session may only enrol, the API refuses it
    assert client.get("/api/v1/me").status_code == 401
    client = Client(enforce_csrf_checks=True)
    _enrol_by_session(client, "commander")
    assert client.get("/api/v1/me").status_code == 200
    assert AuditEntry.objects.filter(action="auth.otp_enrolled", actor=commander.user).exists()

    with _later():
        again = Client(enforce_csrf_checks=True)
        again.get("/web/session")
        body = {"username": "commander", "password": "pass-1234"}
        asked = _session_post(again, "/web/session", body)
        assert asked.status_code == 401
        assert asked.json()["code"] == "otp_required"
        assert "动态验证码" in asked.json()["message"]
        assert again.get("/api/v1/me").status_code == 401
        wrong = _session_post(again, "/web/session", {**body, "otp": "000000"})
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "otp_invalid"
    with _later(2):
        ok = _session_post(again, "/web/session", {**body, "otp": _code(commander.user)})
        assert ok.status_code == 200
        assert ok.json()["authenticated"] is True
        assert again.get("/api/v1/me").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login_failed", changes__reason="otp").exists()


def test_recovery_code_works_once(commander: Officer) -> None:
    codes = _enrol_by_session(Client(enforce_csrf_checks=True), "commander")
    body = {"username": "commander", "password": "pass-1234", "otp": codes[0].upper()}
    first = Client(REMOTE_ADDR="198.51.100.7")
    assert first.post("/web/session", body, content_type="application/json").status_code == 200
    assert first.get("/api/v1/me").status_code == 200
    second = Client(REMOTE_ADDR="198.51.100.8")
    reused = second.post("/web/session", body, content_type="application/json")
    assert reused.status_code == 401
    assert reused.json()["code"] == "otp_invalid"
    used = AuditEntry.objects.get(action="auth.recovery_code_used")
    assert used.changes == {"left": 9}


def test_admin_enrolment_and_login_with_code(commander: Officer) -> None:
    client = Client()
    login = client.post(
        "/admin/login/", {"username": "commander", "password": "pass-1234", "next": "/admin/"}
    )
    assert login.status_code == 302
    # not enrolled: every admin page leads to the enrolment page
    landing = client.get("/admin/", follow=True)
    assert landing.redirect_chain[-1][0].startswith("/web/otp/?next=")
    page = landing.content.decode()
    assert "绑定身份验证器" in page
    assert "data:image/svg+xml" in page
    secret = otp.start_enrolment(user=commander.user).secret
    assert secret in page
    done = client.post("/web/otp/", {"otp": _code(commander.user), "next": "/admin/"})
    assert done.status_code == 200
    assert done.content.decode().count("<li>") == 10  # the recovery codes, shown once
    assert client.get("/admin/").status_code == 200

    with _later():
        again = Client()
        form = {"username": "commander", "password": "pass-1234", "next": "/admin/"}
        missing = again.post("/admin/login/", form)
        assert missing.status_code == 200
        assert "动态验证码" in missing.content.decode()
        assert again.get("/admin/").status_code == 302
        ok = again.post("/admin/login/", {**form, "otp_token": _code(commander.user)})
        assert ok.status_code == 302
        assert again.get("/admin/").status_code == 200


def test_enforcement_follows_the_role_policy(
    settings: Any, officer_a: Officer, leader_a: Officer, commander: Officer
) -> None:
    url = "/api/v1/auth/tokens"

    def token(username: str, code: str = "") -> Any:
        body = {"username": username, "password": "pass-1234", "otp": code}
        return Client().post(url, body, content_type="application/json")

    # a 队员 needs no code
    assert token("officer_a").status_code == 201
    # a 中队长 without an authenticator cannot get a token
    refused = token("leader_a")
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_enrolment_required"
    _enrol_by_session(Client(enforce_csrf_checks=True), "leader_a")
    with _later():
        missing = token("leader_a")
        assert missing.status_code == 401
        assert missing.json()["code"] == "otp_required"
        assert token("leader_a", _code(leader_a.user)).status_code == 201
    # with the policy off, a 指挥中心 account logs in with its password alone
    settings.OTP_REQUIRED_ROLES = []
    client = Client()
    login = client.post(
        "/admin/login/", {"username": "commander", "password": "pass-1234", "next": "/admin/"}
    )
    assert login.status_code == 302
    assert client.get("/admin/").status_code == 200
