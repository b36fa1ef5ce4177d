"""Org API: login, tokens, scoping of districts, units and officers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from smartduty.org.models import Officer
from smartduty.org.states import Role
from tests.factories.org import City, make_officer

pytestmark = pytest.mark.django_db


def test_token_login_and_me(officer_a: Officer) -> None:
    client = Client()
    bad = client.post(
        "/api/v1/auth/tokens",
        {"username": "officer_a", "password": "wrong"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    assert bad.json() == {"code": "not_authenticated", "message": "账号或密码错误"}
    ok = client.post(
        "/api/v1/auth/tokens",
        {"username": "officer_a", "password": "pass-1234"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    token = ok.json()["token"]
    me = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me")
    assert me.status_code == 200
    body = me.json()
    assert body["badge_number"] == officer_a.badge_number
    assert body["roles"] == ["队员"]
    assert body["district"] == "东区"


def test_unauthenticated_gets_chinese_401() -> None:
    resp = Client().get("/api/v1/districts")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"
    assert "登录" in resp.json()["message"]


def test_bad_token_401(db: None) -> None:
    resp = Client(HTTP_AUTHORIZATION="Bearer sdt_nope").get("/api/v1/me")
    assert resp.status_code == 401


def test_district_subtree_scoping(
    city: City, officer_a: Officer, commander: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    names_a = {d["name"] for d in api_client(officer_a).get("/api/v1/districts").json()}
    assert names_a == {"东区", "东一街道"}
    names_cmd = {d["name"] for d in api_client(commander).get("/api/v1/districts").json()}
    assert names_cmd == {"示范市", "东区", "西区", "东一街道", "西一街道"}
    resp = api_client(officer_a).get(f"/api/v1/districts/{city.district_b.public_id}")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


def test_session_login_requires_csrf_for_writes(officer_a: Officer) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer_a.user)
    assert client.get("/api/v1/me").status_code == 200
    resp = client.patch(
        f"/api/v1/districts/{officer_a.unit.district.public_id}/policy",
        {"reason": "x", "move_window_seconds": 300},
        content_type="application/json",
    )
    assert resp.status_code == 403


def test_password_guessing_locks_the_account(officer_a: Officer) -> None:
    client = Client()
    url = "/api/v1/auth/tokens"
    for _ in range(5):
        resp = client.post(
            url, {"username": "officer_a", "password": "guess"}, content_type="application/json"
        )
        assert resp.status_code == 401
    locked = client.post(
        url, {"username": "officer_a", "password": "pass-1234"}, content_type="application/json"
    )
    assert locked.status_code == 429
    assert "锁定" in locked.json()["message"]
    other = client.post(
        url, {"username": "nobody", "password": "x"}, content_type="application/json"
    )
    assert other.status_code == 401
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        ok = client.post(
            url, {"username": "officer_a", "password": "pass-1234"}, content_type="application/json"
        )
    assert ok.status_code == 201


def test_me_has_unit_and_district_ids(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    body = api_client(officer_a).get("/api/v1/me").json()
    assert body["unit_id"] == str(officer_a.unit.public_id)
    assert body["district_id"] == str(officer_a.unit.district.public_id)


def test_me_has_the_agency_kind(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    body = api_client(officer_a).get("/api/v1/me").json()
    assert body["agency_kind"] == officer_a.unit.agency.kind == "chengguan"


def test_me_of_a_supervisor_lists_the_role_and_its_rights(city: City, api_client) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_officer(city.unit_a, role=Role.SUPERVISOR, username="supervisor_a")
    body = api_client(supervisor).get("/api/v1/me").json()
    assert body["roles"] == ["监督员"]
    assert {"cases.report_case", "cases.verify_case"} <= set(body["permissions"])
    assert "cases.handle_case" not in body["permissions"]
    assert "cases.register_case" not in body["permissions"]
