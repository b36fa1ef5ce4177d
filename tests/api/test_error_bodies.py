"""Errors Django or ninja answer themselves are `{code, message}` in Chinese, never a traceback;
pagination is bounded; the OpenAPI schema declares error bodies and allowed values."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client, override_settings

from smartduty.api import api
from smartduty.org.models import Officer
from smartduty.vehicles import selectors as vehicle_selectors
from tests.factories.vehicles import make_vehicle

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]


def _quiet(client: Client) -> Client:
    client.raise_request_exception = False
    return client


@override_settings(DEBUG=False)
def test_unhandled_exception_on_the_api_is_a_json_500(
    officer_a: Officer, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(vehicle_selectors, "list_vehicles", broken)
    resp = _quiet(api_client(officer_a)).get("/api/v1/vehicles")
    assert resp.status_code == 500
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json() == {"code": "server_error", "message": "服务器内部错误，请稍后再试"}
    assert b"secret internals" not in resp.content
    assert b"Traceback" not in resp.content


@override_settings(DEBUG=False)
def test_unknown_api_path_is_a_json_404(db: None) -> None:
    resp = Client().get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert resp.json()["message"]


@override_settings(DEBUG=False)
def test_unhandled_exception_on_a_page_is_a_chinese_page(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartduty import urls  # noqa: PLC0415 - the URL map's health check is patched

    def broken(request: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(urls.urlpatterns[3], "callback", broken)
    assert urls.urlpatterns[3].pattern.describe().startswith("'healthz'")
    resp = Client(raise_request_exception=False).get("/healthz")
    assert resp.status_code == 500
    page = resp.content.decode()
    assert "服务器内部错误" in page
    assert "Server Error" not in page


def test_method_not_allowed_on_the_api_is_json(officer_a: Officer, api_client: ApiClient) -> None:
    resp = api_client(officer_a).delete("/api/v1/vehicles")
    assert resp.status_code == 405
    assert resp.json() == {"code": "method_not_allowed", "message": "不支持该请求方法"}
    assert "GET" in resp["Allow"]


def test_csrf_failure_is_json_for_json_callers_and_chinese_otherwise(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert page.status_code == 403
    text = page.content.decode()
    assert "CSRF 校验失败" in text
    assert "CSRF verification failed" not in text
    api_like = client.post("/admin/login/", {"username": "x"}, HTTP_ACCEPT="application/json")
    assert api_like.status_code == 403
    assert api_like.json() == {"code": "csrf_failed", "message": "CSRF 校验失败，请刷新页面后重试"}


@pytest.mark.parametrize(
    ("query", "field", "bound"),
    [
        ({"offset": "9223372036854775808"}, "offset", "不能大于 1000000"),
        ({"limit": "100000000"}, "limit", "不能大于 200"),
        ({"limit": "0"}, "limit", "不能小于 1"),
        ({"offset": "-1"}, "offset", "不能小于 0"),
    ],
)
def test_pagination_out_of_range_is_a_422_in_chinese(
    officer_a: Officer, api_client: ApiClient, query: dict[str, str], field: str, bound: str
) -> None:
    resp = api_client(officer_a).get("/api/v1/vehicles", query)
    assert resp.status_code == 422, resp.content
    body = resp.json()
    assert body["code"] == "validation_failed"
    assert f"{field} {bound}" in body["message"]


def test_pagination_at_the_bounds_works(officer_a: Officer, api_client: ApiClient) -> None:
    for _ in range(3):
        make_vehicle(officer_a.unit.district)
    client = api_client(officer_a)
    page = client.get("/api/v1/vehicles", {"limit": 200, "offset": 1}).json()
    assert page["count"] == 3
    assert len(page["items"]) == 2
    assert client.get("/api/v1/vehicles", {"offset": 1_000_000}).json()["items"] == []


def _operation(path: str, method: str = "get") -> dict:  # type: ignore[type-arg]
    return api.get_openapi_schema()["paths"][path][method]  # type: ignore[no-any-return]


def _param(operation: dict, name: str) -> dict:  # type: ignore[type-arg]
    return next(p for p in operation["parameters"] if p["name"] == name)  # type: ignore[no-any-return]


def test_openapi_declares_pagination_bounds() -> None:
    op = _operation("/api/v1/vehicles")
    assert _param(op, "limit")["schema"]["maximum"] == 200
    assert _param(op, "offset")["schema"]["maximum"] == 1_000_000


def _resolve(schema: dict) -> dict:  # type: ignore[type-arg]
    inner = (schema.get("allOf") or [schema])[0]
    ref = inner.get("$ref")
    if ref is None:
        return inner  # type: ignore[no-any-return]
    components = api.get_openapi_schema()["components"]["schemas"]
    return components[ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]


def test_openapi_lists_allowed_layouts_and_outcomes() -> None:
    layout = _resolve(
        _param(_operation("/api/v1/parking-reports/{public_id}/notice.pdf"), "layout")["schema"]
    )
    assert sorted(layout["enum"]) == ["a6", "thermal80"]
    recheck = _operation("/api/v1/parking-reports/{public_id}/recheck", "post")
    form = recheck["requestBody"]["content"]["multipart/form-data"]["schema"]
    outcome = _resolve(form["properties"]["outcome"])
    assert sorted(outcome["enum"]) == ["gone", "still_there"]


def test_openapi_declares_error_bodies_on_every_operation() -> None:
    schema = api.get_openapi_schema()
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "message"}
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            responses = op["responses"]
            assert 503 in responses, (method, path)
            assert responses[503]["content"]["application/json"]["schema"] == ref
            if op.get("security"):
                assert {401, 403} <= set(responses), (method, path)
            if "{" in path:
                assert 404 in responses, (method, path)
    report = _operation("/api/v1/parking-reports", "post")["responses"]
    assert {400, 409, 413, 422, 429} <= set(report)
    notice = _operation("/api/v1/parking-reports/{public_id}/notice.pdf")["responses"]
    assert "application/pdf" in notice[200]["content"]
