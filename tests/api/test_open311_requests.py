"""Open311 GeoReport v2: POST requests (the case it makes in the case core, refusals in the
spec's error format, a photo upload, the rate limit, duplicates), GET requests and one
request with published fields only, hostile strings and the security headers; every answer
compared with the spec's examples in JSON and XML."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from smartduty.cases import services as cases_services
from smartduty.cases.models import Case, Category, Channel
from smartduty.cases.states import Action
from smartduty.evidence.models import Photo
from smartduty.kernel.crypto import decrypt_text
from smartduty.open311 import services
from smartduty.open311.models import ApiKey, PublicReport
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from tests.api.open311_helpers import (
    BASE,
    EMAIL,
    EXTENDED,
    HOSTILE,
    PHONE,
    SPEC_POST_JSON,
    SPEC_POST_TOKEN_JSON,
    SPEC_POST_XML,
    SPEC_REQUESTS_JSON,
    SPEC_REQUESTS_XML,
    errors_of,
    json_paths,
    public_case,
    spec_json,
    spec_xml,
    xml_paths,
    xml_root,
)
from tests.factories.cases import case_in_a
from tests.factories.org import City
from tests.factories.parking import jpeg_bytes

pytestmark = pytest.mark.django_db

POST_ANSWER = spec_json(SPEC_POST_JSON) | spec_json(SPEC_POST_TOKEN_JSON)
"""The spec's two answers to a POST (an id, or a token) in one: we give both."""
REQUEST_PATHS = spec_json(SPEC_REQUESTS_JSON) | EXTENDED
REQUEST_KEYS = {p.split(".", 1)[1] for p in REQUEST_PATHS if p.count(".") == 1}


# --- POST requests -------------------------------------------------------------------------


def test_post_json_makes_a_public_case_in_the_keys_district(
    city: City, open311_post: Callable[..., Any], commander: Officer, api_client: Any
) -> None:
    resp = open311_post(
        **{
            "attribute[stall_count]": "3",
            "attribute[goods]": "果蔬",
            "first_name": "三",
            "last_name": "张",
            "email": EMAIL,
            "phone": PHONE,
            "media_url": "https://img.example.com/a.jpg",
            "device_id": "ignored",
        }
    )
    assert resp.status_code == 200, resp.content
    assert json_paths(resp.json()) == POST_ANSWER
    [answer] = resp.json()
    assert answer["account_id"] is None
    assert answer["token"] == PublicReport.objects.get().token
    assert "处置时限" in answer["service_notice"]
    assert PHONE not in resp.content.decode()
    case = Case.objects.get(number=answer["service_request_id"])
    assert (case.channel, case.district, case.status) == (
        Channel.PUBLIC,
        city.district_a,
        "reported",
    )
    assert case.reported_by is None
    assert case.form_data == {"stall_count": 3, "goods": "果蔬"}
    assert (case.lat, case.lon, case.place) == (36.456, 115.985, "人民路88号")
    assert case.transitions.get().actor_name == "公众（Open311·12345热线）"
    # the reporter's contact: encrypted at rest, the phone masked in the clear
    report = PublicReport.objects.get(case=case)
    assert PHONE not in report.contact_encrypted
    assert EMAIL not in report.contact_encrypted
    assert json.loads(decrypt_text(report.contact_encrypted)) == {
        "first_name": "三",
        "last_name": "张",
        "email": EMAIL,
        "phone": PHONE,
    }
    assert report.phone_masked == "138****5678"
    # the case core sees it like any other case, with channel public
    board = api_client(commander).get(f"/api/v1/cases/{case.public_id}").json()
    assert (board["channel"], board["category_code"]) == ("public", "E0401")


def test_post_xml_answers_service_requests(open311_post: Callable[..., Any]) -> None:
    resp = open311_post("xml", address_string=None, jurisdiction_id="shifan.smartduty.example")
    assert resp.status_code == 200, resp.content
    root = xml_root(resp.content)
    assert xml_paths(root) == spec_xml(SPEC_POST_XML) | {"service_requests/request/token"}
    [request] = root
    assert request.findtext("service_request_id", "").startswith("AJ-990001-")
    assert request.findtext("token") == PublicReport.objects.get().token
    assert request.findtext("account_id") == ""  # <account_id />, as in the spec


def test_post_with_only_an_address_and_through_a_csrf_checking_client(
    open311_post: Callable[..., Any],
) -> None:
    resp = open311_post(lat=None, long=None, client=Client(enforce_csrf_checks=True))
    assert resp.status_code == 200, resp.content
    case = Case.objects.get()
    assert (case.lat, case.place) == (None, "人民路88号")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_refusals_in_the_spec_format_change_nothing(
    open311_post: Callable[..., Any], city: City, fmt: str
) -> None:
    ApiKey.objects.create(name="停用", district=city.district_a, prefix="x", digest="0" * 64)
    _, disabled = services.issue_api_key(name="旧密钥", district=city.district_a)
    services.disable_api_key(prefix=disabled[:10])
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"api_key": "o311_wrong"}, 403, "invalid api_key"),
        ({"api_key": None}, 403, "invalid api_key"),
        ({"api_key": disabled}, 403, "invalid api_key"),
        ({"jurisdiction_id": "evil.example"}, 400, "invalid jurisdiction_id"),
        ({"service_code": None}, 400, "service_code required"),
        ({"service_code": "X9999"}, 404, "service_code not found"),
        ({"service_code": "E0404"}, 404, "service_code not found"),
        ({"lat": None, "long": None, "address_string": None}, 400, "location required"),
        ({"long": None}, 400, "lat and long go together"),
        ({"lat": "abc"}, 400, "invalid lat"),
        ({"lat": "nan"}, 400, "invalid lat"),
        ({"lat": "91"}, 400, "out of range"),
        ({"attribute[goods]": "军火"}, 400, "经营类型"),
        ({"attribute[unknown]": "1"}, 400, "unknown"),
        ({"email": "not-an-email"}, 400, "invalid email"),
        ({"phone": "call me"}, 400, "invalid phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "invalid media_url"),
        ({"description": "坏\x00字符"}, 400, "控制字符"),
        ({"description": "长" * 501}, 400, "500"),
    ]
    for fields, status, words in cases:
        resp = open311_post(fmt, **fields)
        assert resp.status_code == status, (fields, resp.content)
        [(code, description)] = errors_of(resp, fmt)
        assert code == status
        assert words in description, (fields, description)
    assert Case.objects.count() == 0
    assert PublicReport.objects.count() == 0


def test_a_multipart_photo_goes_through_evidence_and_is_not_published(
    open311_post: Callable[..., Any],
) -> None:
    photos = Photo.objects.count()
    media = SimpleUploadedFile("scene.jpg", jpeg_bytes(), content_type="image/jpeg")
    resp = open311_post(media=media)
    assert resp.status_code == 200, resp.content
    case = Case.objects.get()
    assert Photo.objects.count() == photos + 1
    assert case.photo is not None
    assert case.photo.district_id == case.district_id
    assert case.photo.kind == "scene"
    published = Client().get(f"{BASE}/requests/{case.number}.json").json()[0]
    assert published["media_url"] == ""
    # a file that is not a photo is refused before anything is stored
    bad = SimpleUploadedFile("x.jpg", b"not a photo", content_type="image/jpeg")
    refused = open311_post(media=bad)
    assert refused.status_code == 400
    assert Photo.objects.count() == photos + 1
    assert Case.objects.count() == 1


@override_settings(RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE=2)
def test_posts_are_rate_limited_per_source_address(open311_post: Callable[..., Any]) -> None:
    client = Client(REMOTE_ADDR="198.51.100.31")
    answers = [open311_post(client=client).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert Case.objects.count() == 2


def test_a_second_report_of_the_same_problem_is_published_as_a_duplicate(
    open311_post: Callable[..., Any],
) -> None:
    first = public_case(open311_post)
    second = public_case(open311_post, description="同一个摊点")
    assert first != second
    case = Case.objects.get(number=second)
    assert (case.status, case.duplicate_of) == ("duplicate", Case.objects.get(number=first))
    published = Client().get(f"{BASE}/requests/{second}.json").json()[0]
    assert (published["status"], published["extended_attributes"]) == (
        "closed",
        {"extended_status": "DUPLICATE"},
    )


# --- GET requests --------------------------------------------------------------------------


def test_get_requests_in_json_and_xml_without_personal_data(
    open311_post: Callable[..., Any], officer_a: Officer, commander: Officer, city: City
) -> None:
    number = public_case(
        open311_post,
        first_name="三",
        last_name="张",
        email=EMAIL,
        phone=PHONE,
        media_url="https://img.example.com/a.jpg",
    )
    internal = case_in_a(officer_a)  # an officer's own case is never published
    case = Case.objects.get(number=number)
    command = principal_for_user(commander.user)
    case = cases_services.act(case, Action.REGISTER, principal=command, actor=commander.user)
    cases_services.act(
        case,
        Action.DISPATCH,
        principal=command,
        actor=commander.user,
        unit=city.unit_a,
        reason="内部备注：找老王",
    )
    body = Client().get(f"{BASE}/requests.json")
    assert body.status_code == 200
    assert json_paths(body.json()) == REQUEST_PATHS
    [request] = body.json()
    assert set(request) == REQUEST_KEYS
    assert request["service_request_id"] == number
    assert (request["status"], request["extended_attributes"]) == (
        "open",
        {"extended_status": "ACTION_SCHEDULED"},
    )
    assert request["status_notes"] == "已派遣（处置中）"
    assert request["agency_responsible"] == "示范市城管局"
    assert request["expected_datetime"] is not None
    assert request["expected_datetime"].endswith("+08:00")
    assert request["updated_datetime"] >= request["requested_datetime"]
    assert (request["lat"], request["long"]) == (36.456, 115.985)
    assert request["media_url"] == "https://img.example.com/a.jpg"
    xml = Client().get(f"{BASE}/requests.xml")
    root = xml_root(xml.content)
    assert xml_paths(root) == spec_xml(SPEC_REQUESTS_XML) | {
        "service_requests/request/extended_attributes",
        "service_requests/request/extended_attributes/extended_status",
    }
    [item] = root
    assert {child.tag for child in item} == REQUEST_KEYS
    assert item.findtext("extended_attributes/extended_status") == "ACTION_SCHEDULED"
    assert item.findtext("status") == "open"
    for resp in (body, xml):
        text = resp.content.decode()
        for secret in (PHONE, "138****5678", EMAIL, "张", "找老王", internal.number, "队员"):
            assert secret not in text, secret


def test_get_requests_filters(open311_post: Callable[..., Any], commander: Officer) -> None:
    first = public_case(open311_post)
    second = public_case(open311_post, service_code="E0101", **{"attribute[stall_count]": None})
    case = Case.objects.get(number=second)
    cases_services.act(
        case,
        Action.REJECT,
        principal=principal_for_user(commander.user),
        actor=commander.user,
    )

    def ids(**params: str) -> list[str]:
        resp = Client().get(f"{BASE}/requests.json", params)
        assert resp.status_code == 200, resp.content
        return [r["service_request_id"] for r in resp.json()]

    assert ids() == [second, first]  # newest first
    assert ids(status="open") == [first]
    assert ids(status="closed") == [second]
    assert ids(status="open,closed") == [second, first]
    assert ids(service_code="E0101") == [second]
    assert ids(service_request_id=f"{first},AJ-0-0-0") == [first]
    assert ids(start_date="2099-01-01T00:00:00+08:00") == []
    assert ids(end_date="2000-01-01T00:00:00Z") == []
    assert ids(start_date="2000-01-01") == [second, first]  # a bare date is its midnight
    closed = Client().get(f"{BASE}/requests/{second}.json").json()[0]
    assert (closed["status"], closed["extended_attributes"]["extended_status"]) == (
        "closed",
        "NO_FURTHER_ACTION",
    )
    for params in ({"status": "pending"}, {"start_date": "yesterday"}):
        bad = Client().get(f"{BASE}/requests.xml", params)
        assert bad.status_code == 400
        assert errors_of(bad, "xml")[0][0] == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_one_request_and_404s(
    open311_post: Callable[..., Any], officer_a: Officer, fmt: str
) -> None:
    number = public_case(open311_post)
    resp = Client().get(f"{BASE}/requests/{number}.{fmt}")
    assert resp.status_code == 200
    if fmt == "json":
        [request] = resp.json()
        assert set(request) == REQUEST_KEYS
        assert request["service_request_id"] == number
    else:
        [request_xml] = xml_root(resp.content)
        assert request_xml.findtext("service_request_id") == number
        assert request_xml.find("token") is None  # a token is for its POST's client only
    internal = case_in_a(officer_a)
    for missing in (internal.number, "AJ-990001-20000101-0001"):
        gone = Client().get(f"{BASE}/requests/{missing}.{fmt}")
        assert gone.status_code == 404
        assert errors_of(gone, fmt)[0][0] == 404
    wrong = Client().get(f"{BASE}/requests/{number}.{fmt}", {"jurisdiction_id": "x"})
    assert wrong.status_code == 400


# --- hostile strings and headers -----------------------------------------------------------


def test_hostile_strings_leave_as_text_in_well_formed_xml(open311_post: Callable[..., Any]) -> None:
    number = public_case(open311_post, description=HOSTILE, address_string="<b>]]>&amp;")
    Category.objects.filter(code="E0401").update(name="占道\x01经营\x1f<i>]]>")
    for path in (f"requests/{number}.xml", "requests.xml", "services.xml", "services/E0401.xml"):
        resp = Client().get(f"{BASE}/{path}")
        assert resp.status_code == 200, path
        assert b"<script>" not in resp.content
        assert b"]]>" not in resp.content
        assert b"\x01" not in resp.content
        xml_root(resp.content)  # parses: well-formed
    [item] = xml_root(Client().get(f"{BASE}/requests/{number}.xml").content)
    assert item.findtext("description") == HOSTILE
    assert item.findtext("address") == "<b>]]>&amp;"
    assert item.findtext("service_name") == "占道经营<i>]]>"
    # JSON keeps the text as text too
    request = Client().get(f"{BASE}/requests/{number}.json").json()[0]
    assert request["description"] == HOSTILE
    # a hostile code is echoed escaped in the error document
    resp = open311_post("xml", service_code="<x>]]>\x02")
    assert resp.status_code == 404
    assert b"<x>" not in resp.content
    assert errors_of(resp, "xml")[0][0] == 404


def test_every_open311_answer_carries_the_security_headers(
    city: City, open311_post: Callable[..., Any]
) -> None:
    answers = [
        Client().get(f"{BASE}/services.json"),
        Client().get(f"{BASE}/services/X1.xml"),
        Client().get(f"{BASE}/requests.xml"),
        open311_post(),
        open311_post("xml", api_key="bad"),
        Client().delete(f"{BASE}/services.json"),
        Client().get(f"{BASE}/tokens/{'0' * 32}.json"),
        Client().get(f"{BASE}/discovery.xml"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 200, 200, 403, 405, 404, 200]
    for resp in answers:
        assert "frame-ancestors 'none'" in resp["Content-Security-Policy"]
        assert resp["X-Content-Type-Options"] == "nosniff"
        assert resp["X-Frame-Options"] == "DENY"
        assert resp["Cache-Control"] == "no-store"
