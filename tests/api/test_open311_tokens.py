"""Open311 GeoReport v2 tokens: every POST answers the case number and a token, and
`tokens/{token}` turns the token into that number (the spec's asynchronous flow), in JSON
and XML against the spec's examples; unknown tokens are 404 in the spec's error format."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from smartduty.cases.models import Case
from smartduty.open311.models import PublicReport
from tests.api.open311_helpers import (
    BASE,
    SPEC_TOKEN_JSON,
    SPEC_TOKEN_XML,
    errors_of,
    json_paths,
    spec_json,
    spec_xml,
    xml_paths,
    xml_root,
)
from tests.factories.org import City

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"[0-9a-f]{32}")


def _posted(open311_post: Callable[..., Any], **fields: Any) -> tuple[str, str]:
    resp = open311_post(**fields)
    assert resp.status_code == 200, resp.content
    [answer] = resp.json()
    return answer["service_request_id"], answer["token"]


def test_a_post_answers_a_fresh_random_token_beside_the_id(
    open311_post: Callable[..., Any],
) -> None:
    first_id, first = _posted(open311_post)
    second_id, second = _posted(open311_post, address_string="解放路1号", lat="36.40")
    assert TOKEN.fullmatch(first)
    assert TOKEN.fullmatch(second)
    assert first != second
    assert first_id not in first  # nothing of the guessable number in it
    stored = dict(PublicReport.objects.values_list("case__number", "token"))
    assert stored == {first_id: first, second_id: second}


def test_a_token_resolves_to_its_service_request_id_in_json(
    open311_post: Callable[..., Any],
) -> None:
    number, token = _posted(open311_post)
    resp = Client().get(f"{BASE}/tokens/{token}.json")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    assert resp["Cache-Control"] == "no-store"
    body = resp.json()
    assert json_paths(body) == spec_json(SPEC_TOKEN_JSON)
    assert body == [{"service_request_id": number, "token": token}]
    # the id it gives is the one GET requests/{id} answers
    assert Client().get(f"{BASE}/requests/{number}.json").status_code == 200
    ours = Client().get(
        f"{BASE}/tokens/{token}.json", {"jurisdiction_id": "shifan.smartduty.example"}
    )
    assert ours.json() == body


def test_a_token_resolves_in_xml(open311_post: Callable[..., Any]) -> None:
    number, token = _posted(open311_post)
    resp = Client().get(f"{BASE}/tokens/{token}.xml")
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    root = xml_root(resp.content)
    assert xml_paths(root) == spec_xml(SPEC_TOKEN_XML)
    [request] = root
    assert (request.findtext("service_request_id"), request.findtext("token")) == (number, token)


def test_the_token_of_a_duplicate_names_the_duplicate(open311_post: Callable[..., Any]) -> None:
    """A second report of the same problem is its own (closed) request: its token gives its
    own id, whose published status says DUPLICATE."""
    _posted(open311_post)
    number, token = _posted(open311_post, description="同一个摊点")
    assert Case.objects.get(number=number).status == "duplicate"
    [answer] = Client().get(f"{BASE}/tokens/{token}.json").json()
    assert answer["service_request_id"] == number


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_tokens_foreign_jurisdictions_and_writes_are_refused(
    open311_post: Callable[..., Any], city: City, fmt: str
) -> None:
    number, token = _posted(open311_post)
    for unknown in ("0" * 32, token.upper(), number, "x"):
        resp = Client().get(f"{BASE}/tokens/{unknown}.{fmt}")
        assert resp.status_code == 404, unknown
        assert errors_of(resp, fmt) == [(404, "未找到该受理凭证（token not found）")]
    # a path that is no token at all is the spec's 404 too
    odd = Client().get(f"{BASE}/tokens/{'a' * 65}.{fmt}")
    assert (odd.status_code, errors_of(odd, fmt)[0][0]) == (404, 404)
    foreign = Client().get(f"{BASE}/tokens/{token}.{fmt}", {"jurisdiction_id": "evil.example"})
    assert foreign.status_code == 400
    assert errors_of(foreign, fmt)[0][0] == 400
    write = Client().post(f"{BASE}/tokens/{token}.{fmt}")
    assert (write.status_code, write["Allow"]) == (405, "GET")
    assert errors_of(write, fmt)[0][0] == 405


def test_reports_from_before_tokens_have_none_and_resolve_nothing(
    open311_post: Callable[..., Any],
) -> None:
    number, _ = _posted(open311_post)
    PublicReport.objects.update(token=None)  # as the migration leaves older reports
    assert Client().get(f"{BASE}/tokens/None.json").status_code == 404
    assert Client().get(f"{BASE}/requests/{number}.json").status_code == 200
