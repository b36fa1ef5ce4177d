"""Open311 GeoReport v2 at /open311/v2/: every endpoint in JSON and XML with the spec's
fields, its error list, hostile strings, personal data kept out of the public answers, a
photo upload, the rate limit, and the case it makes in the case core."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
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
from tests.factories.cases import case_in_a
from tests.factories.org import City
from tests.factories.parking import jpeg_bytes

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
ATTRIBUTE_KEYS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "extended_attributes",
}
PHONE = "13812345678"
EMAIL = "reporter@example.com"
HOSTILE = "<script>alert('x')</script> ]]> & \"q\" 摊位"


def _xml(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)  # noqa: S314 - our own answer, checked for well-formedness


@pytest.fixture
def key(city: City) -> str:
    _, raw = services.issue_api_key(name="12345热线", district=city.district_a)
    return raw


@pytest.fixture
def post(key: str) -> Callable[..., Any]:
    def send(fmt: str = "json", client: Client | None = None, **fields: Any) -> Any:
        data = {
            "api_key": key,
            "service_code": "E0401",
            "lat": "36.456",
            "long": "115.985",
            "address_string": "人民路88号",
            "description": "人行道上有流动摊点",
            **fields,
        }
        data = {k: v for k, v in data.items() if v is not None}
        return (client or Client()).post(f"{BASE}/requests.{fmt}", data)

    return send


def _errors(resp: Any, fmt: str) -> list[tuple[int, str]]:
    if fmt == "json":
        return [(e["code"], e["description"]) for e in resp.json()]
    root = _xml(resp.content)
    assert root.tag == "errors"
    return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root]


def _public_case(post: Callable[..., Any], **fields: Any) -> str:
    resp = post(**fields)
    assert resp.status_code == 200, resp.content
    number: str = resp.json()[0]["service_request_id"]
    return number


# --- services ------------------------------------------------------------------------------


def test_services_json_lists_the_active_minor_categories_without_parking(city: City) -> None:
    resp = Client().get(f"{BASE}/services.json")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    services_ = resp.json()
    assert all(set(s) == SERVICE_KEYS for s in services_)
    codes = [s["service_code"] for s in services_]
    assert "E0404" not in codes  # parking: the officer app only
    assert "E01" not in codes  # 大类 are groups, not services
    stalls = next(s for s in services_ if s["service_code"] == "E0401")
    assert (stalls["service_name"], stalls["group"], stalls["type"]) == (
        "占道经营",
        "街面秩序",
        "realtime",
    )
    assert stalls["metadata"] is True
    assert next(s for s in services_ if s["service_code"] == "E0101")["metadata"] is False
    Category.objects.filter(code="E0101").update(active=False)
    codes = [s["service_code"] for s in Client().get(f"{BASE}/services.json").json()]
    assert "E0101" not in codes


def test_services_xml_has_the_same_fields(city: City) -> None:
    resp = Client().get(f"{BASE}/services.xml")
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    root = _xml(resp.content)
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    stalls = next(s for s in root if s.findtext("service_code") == "E0401")
    assert {child.tag for child in stalls} == SERVICE_KEYS
    assert stalls.findtext("metadata") == "true"
    assert stalls.findtext("group") == "街面秩序"


def test_service_definition_in_json_and_xml(city: City) -> None:
    body = Client().get(f"{BASE}/services/E0401.json").json()
    assert body["service_code"] == "E0401"
    stalls, goods = body["attributes"]
    assert set(stalls) == ATTRIBUTE_KEYS
    assert (stalls["code"], stalls["datatype"], stalls["order"], stalls["variable"]) == (
        "stall_count",
        "number",
        1,
        True,
    )
    assert stalls["required"] is False
    assert stalls["values"] == []
    assert goods["datatype"] == "singlevaluelist"
    assert goods["description"] == "经营类型"
    assert {"key": "果蔬", "name": "果蔬"} in goods["values"]
    root = _xml(Client().get(f"{BASE}/services/E0401.xml").content)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "E0401"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["stall_count", "goods"]
    assert {child.tag for child in attributes[0]} == ATTRIBUTE_KEYS
    values = attributes[1].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values][1] == ("果蔬", "果蔬")
    assert attributes[0].findtext("variable") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_and_parking_services_are_404_in_the_spec_format(city: City, fmt: str) -> None:
    for code in ("X9999", "E0404"):
        resp = Client().get(f"{BASE}/services/{code}.{fmt}")
        assert resp.status_code == 404
        [(status, description)] = _errors(resp, fmt)
        assert status == 404
        assert "service_code not found" in description
    other = Client().get(f"{BASE}/nothing-here.{fmt}")
    assert other.status_code == 404
    assert _errors(other, fmt)[0][0] == 404


# --- POST requests -------------------------------------------------------------------------


def test_post_json_makes_a_public_case_in_the_keys_district(
    city: City, post: Callable[..., Any], commander: Officer, api_client: Any
) -> None:
    resp = post(
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
    [answer] = resp.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None
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


def test_post_xml_answers_service_requests(post: Callable[..., Any]) -> None:
    resp = post("xml", address_string=None, jurisdiction_id="shifan.smartduty.example")
    assert resp.status_code == 200, resp.content
    root = _xml(resp.content)
    assert root.tag == "service_requests"
    [request] = root
    assert request.tag == "request"
    assert {child.tag for child in request} == {
        "service_request_id",
        "service_notice",
        "account_id",
    }
    assert request.findtext("service_request_id", "").startswith("AJ-990001-")


def test_post_with_only_an_address_and_through_a_csrf_checking_client(
    post: Callable[..., Any],
) -> None:
    resp = post(lat=None, long=None, client=Client(enforce_csrf_checks=True))
    assert resp.status_code == 200, resp.content
    case = Case.objects.get()
    assert (case.lat, case.place) == (None, "人民路88号")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_refusals_in_the_spec_format_change_nothing(
    post: Callable[..., Any], city: City, fmt: str
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
        resp = post(fmt, **fields)
        assert resp.status_code == status, (fields, resp.content)
        [(code, description)] = _errors(resp, fmt)
        assert code == status
        assert words in description, (fields, description)
    assert Case.objects.count() == 0
    assert PublicReport.objects.count() == 0


def test_a_multipart_photo_goes_through_evidence_and_is_not_published(
    post: Callable[..., Any],
) -> None:
    photos = Photo.objects.count()
    media = SimpleUploadedFile("scene.jpg", jpeg_bytes(), content_type="image/jpeg")
    resp = post(media=media)
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
    refused = post(media=bad)
    assert refused.status_code == 400
    assert Photo.objects.count() == photos + 1
    assert Case.objects.count() == 1


@override_settings(RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE=2)
def test_posts_are_rate_limited_per_source_address(post: Callable[..., Any]) -> None:
    client = Client(REMOTE_ADDR="198.51.100.31")
    answers = [post(client=client).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert Case.objects.count() == 2


def test_a_second_report_of_the_same_problem_is_published_as_a_duplicate(
    post: Callable[..., Any],
) -> None:
    first = _public_case(post)
    second = _public_case(post, description="同一个摊点")
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
    post: Callable[..., Any], officer_a: Officer, commander: Officer, city: City
) -> None:
    number = _public_case(
        post,
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
    root = _xml(xml.content)
    assert root.tag == "service_requests"
    [item] = root
    assert item.tag == "request"
    assert {child.tag for child in item} == REQUEST_KEYS
    assert item.findtext("extended_attributes/extended_status") == "ACTION_SCHEDULED"
    assert item.findtext("status") == "open"
    for resp in (body, xml):
        text = resp.content.decode()
        for secret in (PHONE, "138****5678", EMAIL, "张", "找老王", internal.number, "队员"):
            assert secret not in text, secret


def test_get_requests_filters(post: Callable[..., Any], commander: Officer) -> None:
    first = _public_case(post)
    second = _public_case(post, service_code="E0101", **{"attribute[stall_count]": None})
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
        assert _errors(bad, "xml")[0][0] == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_one_request_and_404s(post: Callable[..., Any], officer_a: Officer, fmt: str) -> None:
    number = _public_case(post)
    resp = Client().get(f"{BASE}/requests/{number}.{fmt}")
    assert resp.status_code == 200
    if fmt == "json":
        [request] = resp.json()
        assert set(request) == REQUEST_KEYS
        assert request["service_request_id"] == number
    else:
        [request_xml] = _xml(resp.content)
        assert request_xml.findtext("service_request_id") == number
    internal = case_in_a(officer_a)
    for missing in (internal.number, "AJ-990001-20000101-0001"):
        gone = Client().get(f"{BASE}/requests/{missing}.{fmt}")
        assert gone.status_code == 404
        assert _errors(gone, fmt)[0][0] == 404
    wrong = Client().get(f"{BASE}/requests/{number}.{fmt}", {"jurisdiction_id": "x"})
    assert wrong.status_code == 400


# --- hostile strings, headers, keys --------------------------------------------------------


def test_hostile_strings_leave_as_text_in_well_formed_xml(post: Callable[..., Any]) -> None:
    number = _public_case(post, description=HOSTILE, address_string="<b>]]>&amp;")
    Category.objects.filter(code="E0401").update(name="占道\x01经营\x1f<i>]]>")
    for path in (f"requests/{number}.xml", "requests.xml", "services.xml", "services/E0401.xml"):
        resp = Client().get(f"{BASE}/{path}")
        assert resp.status_code == 200, path
        assert b"<script>" not in resp.content
        assert b"]]>" not in resp.content
        assert b"\x01" not in resp.content
        _xml(resp.content)  # parses: well-formed
    [item] = _xml(Client().get(f"{BASE}/requests/{number}.xml").content)
    assert item.findtext("description") == HOSTILE
    assert item.findtext("address") == "<b>]]>&amp;"
    assert item.findtext("service_name") == "占道经营<i>]]>"
    # JSON keeps the text as text too
    request = Client().get(f"{BASE}/requests/{number}.json").json()[0]
    assert request["description"] == HOSTILE
    # a hostile code is echoed escaped in the error document
    resp = post("xml", service_code="<x>]]>\x02")
    assert resp.status_code == 404
    assert b"<x>" not in resp.content
    assert _errors(resp, "xml")[0][0] == 404


def test_every_open311_answer_carries_the_security_headers(
    city: City, post: Callable[..., Any]
) -> None:
    answers = [
        Client().get(f"{BASE}/services.json"),
        Client().get(f"{BASE}/services/X1.xml"),
        Client().get(f"{BASE}/requests.xml"),
        post(),
        post("xml", api_key="bad"),
        Client().delete(f"{BASE}/services.json"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 200, 200, 403, 405]
    for resp in answers:
        assert "frame-ancestors 'none'" in resp["Content-Security-Policy"]
        assert resp["X-Content-Type-Options"] == "nosniff"
        assert resp["X-Frame-Options"] == "DENY"
        assert resp["Cache-Control"] == "no-store"


def test_open311_key_command_prints_a_key_once(city: City) -> None:
    out = StringIO()
    call_command(
        "open311_key", "create", "--name", "市民随手拍", "--district", "990002", stdout=out
    )
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(name="市民随手拍")
    assert (key.district, key.prefix) == (city.district_b, raw[:10])
    assert raw not in key.digest
    assert services.authenticate_key(raw=raw) == key
    listing = StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert raw not in listing.getvalue()
    assert key.prefix in listing.getvalue()
    call_command("open311_key", "disable", key.prefix, stdout=StringIO())
    assert not ApiKey.objects.get(pk=key.pk).is_active


def test_the_back_office_lists_keys_and_masked_reports(
    admin_client: Client, post: Callable[..., Any]
) -> None:
    _public_case(post, phone=PHONE)
    keys = admin_client.get("/admin/open311/apikey/")
    assert keys.status_code == 200
    assert "12345热线" in keys.content.decode()
    reports = admin_client.get("/admin/open311/publicreport/")
    assert reports.status_code == 200
    text = reports.content.decode()
    assert "138****5678" in text
    assert PHONE not in text


# --- retention of the reporter's contact and keys made in the back office ---------------


def _erasure_timers() -> Any:
    from smartduty.kernel.models import Timer  # noqa: PLC0415

    return Timer.objects.filter(kind=services.ERASE_CONTACT).order_by("id")


@override_settings(OPEN311_CONTACT_RETENTION_DAYS=7)
def test_the_contact_is_erased_days_after_the_case_ends_once_and_audited(
    post: Callable[..., Any], commander: Officer
) -> None:
    from datetime import timedelta  # noqa: PLC0415

    import time_machine  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel import timers  # noqa: PLC0415
    from smartduty.kernel.models import AuditEntry, TimerStatus  # noqa: PLC0415

    case = Case.objects.get(number=_public_case(post, phone=PHONE, email=EMAIL))
    without = Case.objects.get(
        number=_public_case(post, address_string="解放路1号", lat=None, long=None)
    )
    assert not _erasure_timers().exists()  # open cases keep the contact
    now = timezone.now()
    for each in (case, without):
        cases_services.act(
            each,
            Action.REJECT,
            principal=principal_for_user(commander.user),
            actor=commander.user,
            reason="非城管职责",
        )
    [timer] = _erasure_timers()  # only the report with a contact gets one
    assert timer.subject_id == str(PublicReport.objects.get(case=case).pk)
    assert now + timedelta(days=7) <= timer.due_at <= timezone.now() + timedelta(days=7)
    # a second end signal keeps the first due time (one pending erasure per report)
    services.schedule_contact_erasure(case=case)
    assert _erasure_timers().count() == 1
    assert timers.fire_due(now=timer.due_at - timedelta(seconds=1)) == []
    report = PublicReport.objects.get(case=case)
    assert (report.phone_masked, report.contact_erased_at) == ("138****5678", None)
    later = timer.due_at + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert [t.kind for t in timers.fire_due(now=later)] == [services.ERASE_CONTACT]
    report.refresh_from_db()
    assert (report.contact_encrypted, report.phone_masked) == ("", "")
    assert report.contact_erased_at == later
    assert _erasure_timers().get().status == TimerStatus.DONE
    assert not services.erase_contact(report_id=report.pk)  # idempotent
    [entry] = AuditEntry.objects.filter(action=services.ERASE_CONTACT)
    assert (entry.object_id, entry.district_path) == (str(case.public_id), case.district.path)
    assert "7 天" in entry.reason
    assert Client().get(f"{BASE}/requests/{case.number}.json").status_code == 200


def test_a_public_duplicate_schedules_its_erasure_at_once(post: Callable[..., Any]) -> None:
    _public_case(post)
    second = Case.objects.get(number=_public_case(post, phone=PHONE))
    assert second.status == "duplicate"
    [timer] = _erasure_timers()
    assert timer.subject_id == str(PublicReport.objects.get(case=second).pk)


def test_an_erasure_timer_for_an_open_case_changes_nothing(post: Callable[..., Any]) -> None:
    case = Case.objects.get(number=_public_case(post, phone=PHONE))
    report = PublicReport.objects.get(case=case)
    assert not services.erase_contact(report_id=report.pk)
    assert PublicReport.objects.get(pk=report.pk).phone_masked == "138****5678"


def test_a_key_made_in_the_back_office_is_shown_once_and_stored_as_a_digest(
    admin_client: Client, city: City
) -> None:
    from smartduty.kernel.models import AuditEntry  # noqa: PLC0415

    form = admin_client.get("/admin/open311/apikey/add/")
    assert form.status_code == 200
    assert 'name="digest"' not in form.content.decode()
    refused = admin_client.post(
        "/admin/open311/apikey/add/", {"name": "坏\u200b名字", "district": city.district_b.pk}
    )
    assert refused.status_code == 200
    assert "可见字符" in refused.content.decode()
    assert not ApiKey.objects.exists()
    resp = admin_client.post(
        "/admin/open311/apikey/add/",
        {"name": "市民随手拍", "district": city.district_b.pk},
        follow=True,
    )
    assert resp.status_code == 200
    key = ApiKey.objects.get(name="市民随手拍")
    shown = [str(m) for m in resp.context["messages"]]
    [message] = [m for m in shown if "只显示这一次" in m]
    raw = message.rsplit("：", 1)[1]
    assert raw.startswith(services.KEY_PREFIX)
    assert raw[:10] == key.prefix
    assert raw not in key.digest
    assert services.authenticate_key(raw=raw) == key
    assert key.district == city.district_b
    assert AuditEntry.objects.filter(action="open311.key_issued", object_id=str(key.pk)).exists()
    # never again: not on the list, not on the key's page
    for page in ("/admin/open311/apikey/", f"/admin/open311/apikey/{key.pk}/change/"):
        assert raw not in admin_client.get(page).content.decode()
