"""The views that serve the built front ends and their session login (no browser needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from smartduty.org.models import Officer
from smartduty.web import views


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake build output found through the staticfiles finders."""
    for app, body in (("officer", "officer-index"), ("command", "command-index")):
        (tmp_path / app).mkdir()
        (tmp_path / app / "index.html").write_text(f"<html>{body}</html>")
    (tmp_path / "officer" / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (tmp_path / "officer" / "manifest.webmanifest").write_text('{"scope": "/app/"}')

    def find(path: str) -> str | None:
        candidate = tmp_path / path.removeprefix("web/")
        return str(candidate) if candidate.exists() else None

    monkeypatch.setattr(views.finders, "find", find)
    return tmp_path


def test_spa_routes_serve_index_with_csp(built: Path) -> None:
    client = Client()
    for url, marker in (
        ("/app/", "officer-index"),
        ("/app/case/123", "officer-index"),
        ("/command/", "command-index"),
        ("/command/anything", "command-index"),
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert marker in resp.content.decode()
        assert "script-src 'self'" in resp["Content-Security-Policy"]
        assert resp["Cache-Control"] == "no-cache"
    assert "csrftoken" in client.cookies


def test_service_worker_and_manifest(built: Path) -> None:
    sw = Client().get("/app/sw.js")
    assert sw.status_code == 200
    assert sw["Service-Worker-Allowed"] == "/app/"
    assert sw["Content-Type"].startswith("text/javascript")
    manifest = Client().get("/app/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    assert json.loads(manifest.content)["scope"] == "/app/"


def test_not_built_explains_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views.finders, "find", lambda _path: None)
    resp = Client().get("/app/")
    assert resp.status_code == 503
    assert "make frontend" in resp.content.decode()
    assert Client().get("/app/sw.js").status_code == 404
    assert Client().get("/app/manifest.webmanifest").status_code == 404


def test_config_has_no_tiles_by_default() -> None:
    body = Client().get("/web/config.json").json()
    assert body["map"]["tile_url"] == ""
    assert body["poll_seconds"] == 5


@pytest.mark.django_db
def test_session_login_needs_csrf_and_feeds_the_api(officer_a: Officer) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/web/session").json() == {
        "authenticated": False,
        "username": "",
        "otp_stage": "",
    }
    token = client.cookies["csrftoken"].value
    body = {"username": "officer_a", "password": "pass-1234"}
    no_csrf = client.post("/web/session", body, content_type="application/json")
    assert no_csrf.status_code == 403
    wrong = client.post(
        "/web/session",
        {**body, "password": "nope"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "账号或密码错误"
    empty = client.post(
        "/web/session", {"username": ""}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert empty.status_code == 422
    bad = client.post(
        "/web/session", "[1, 2]", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert bad.status_code == 400
    ok = client.post("/web/session", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.json() == {"authenticated": True, "username": "officer_a", "otp_stage": ""}
    # the session cookie works for the API; unsafe calls need the (rotated) CSRF token
    assert client.get("/api/v1/me").json()["username"] == "officer_a"
    token = client.cookies["csrftoken"].value
    out = client.delete("/web/session", HTTP_X_CSRFTOKEN=token)
    assert out.json()["authenticated"] is False
    assert client.get("/api/v1/me").status_code == 401
