"""Open311 GeoReport v2: the service list, service definitions and the service discovery
document, in JSON and XML, against the spec's examples; unknown paths in the spec's error
format."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from smartduty.cases.models import Category
from smartduty.open311 import documents
from tests.api.open311_helpers import (
    BASE,
    HOSTILE,
    SPEC_DEFINITION_JSON,
    SPEC_DEFINITION_XML,
    SPEC_DISCOVERY_JSON,
    SPEC_DISCOVERY_XML,
    SPEC_SERVICES_JSON,
    SPEC_SERVICES_XML,
    errors_of,
    json_paths,
    spec_json,
    spec_xml,
    xml_paths,
    xml_root,
)
from tests.factories.org import City

pytestmark = pytest.mark.django_db

SERVICE_KEYS = {"service_code", "service_name", "description", "metadata", "type"}
SERVICE_KEYS |= {"keywords", "group"}


# --- services ------------------------------------------------------------------------------


def test_services_json_lists_the_active_minor_categories_without_parking(city: City) -> None:
    resp = Client().get(f"{BASE}/services.json")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    services_ = resp.json()
    assert json_paths(services_) == spec_json(SPEC_SERVICES_JSON)
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
    root = xml_root(resp.content)
    assert xml_paths(root) == spec_xml(SPEC_SERVICES_XML)
    assert {child.tag for child in root} == {"service"}
    stalls = next(s for s in root if s.findtext("service_code") == "E0401")
    assert {child.tag for child in stalls} == SERVICE_KEYS
    assert stalls.findtext("metadata") == "true"
    assert stalls.findtext("group") == "街面秩序"


def test_service_definition_in_json_and_xml(city: City) -> None:
    body = Client().get(f"{BASE}/services/E0401.json").json()
    assert json_paths(body) == spec_json(SPEC_DEFINITION_JSON)
    assert body["service_code"] == "E0401"
    stalls, goods = body["attributes"]
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
    root = xml_root(Client().get(f"{BASE}/services/E0401.xml").content)
    assert xml_paths(root) == spec_xml(SPEC_DEFINITION_XML)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "E0401"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["stall_count", "goods"]
    values = attributes[1].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values][1] == ("果蔬", "果蔬")
    assert attributes[0].findtext("variable") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_and_parking_services_are_404_in_the_spec_format(city: City, fmt: str) -> None:
    for code in ("X9999", "E0404"):
        resp = Client().get(f"{BASE}/services/{code}.{fmt}")
        assert resp.status_code == 404
        [(status, description)] = errors_of(resp, fmt)
        assert status == 404
        assert "service_code not found" in description
        assert "未找到服务" in description
    other = Client().get(f"{BASE}/nothing-here.{fmt}")
    assert other.status_code == 404
    assert errors_of(other, fmt) == [(404, "未找到该接口（not found）")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_foreign_jurisdiction_and_a_wrong_method_are_refused(city: City, fmt: str) -> None:
    for path in (f"services.{fmt}", f"services/E0401.{fmt}"):
        resp = Client().get(f"{BASE}/{path}", {"jurisdiction_id": "evil.example"})
        assert resp.status_code == 400
        assert errors_of(resp, fmt) == [(400, "jurisdiction_id 无效（invalid jurisdiction_id）")]
        ours = Client().get(f"{BASE}/{path}", {"jurisdiction_id": "shifan.smartduty.example"})
        assert ours.status_code == 200
    wrong = Client().delete(f"{BASE}/services.{fmt}")
    assert (wrong.status_code, wrong["Allow"]) == (405, "GET")
    assert errors_of(wrong, fmt)[0][0] == 405


# --- service discovery ---------------------------------------------------------------------


def test_the_discovery_document_in_json_is_the_specs_shape(db: None) -> None:
    resp = Client().get(f"{BASE}/discovery.json")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    body = resp.json()
    assert json_paths(body) == spec_json(SPEC_DISCOVERY_JSON)
    [endpoint] = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": settings.PUBLIC_BASE_URL.rstrip("/") + "/open311/v2",
        "changeset": documents.CHANGESET,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    assert body["changeset"] == documents.CHANGESET
    assert "指挥中心" in body["contact"]
    assert "api_key" in body["key_service"]
    # the endpoint it names answers: services.json under that url's path
    assert Client().get("/open311/v2/services.json").status_code == 200


def test_the_discovery_document_in_xml_has_a_format_element_per_format(db: None) -> None:
    resp = Client().get(f"{BASE}/discovery.xml")
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    root = xml_root(resp.content)
    assert xml_paths(root) == spec_xml(SPEC_DISCOVERY_XML)
    [endpoint] = root.findall("endpoints/endpoint")
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert endpoint.findtext("type") == "production"
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url", "").endswith("/open311/v2")


@override_settings(OPEN311_CONTACT=HOSTILE + "\x01", OPEN311_KEY_SERVICE="<a href='x'>申请</a>]]>")
def test_discovery_texts_from_settings_leave_escaped(db: None) -> None:
    resp = Client().get(f"{BASE}/discovery.xml")
    assert b"<script>" not in resp.content
    assert b"]]>" not in resp.content
    assert b"\x01" not in resp.content
    root = xml_root(resp.content)
    assert root.findtext("contact") == HOSTILE
    assert root.findtext("key_service") == "<a href='x'>申请</a>]]>"
    assert Client().get(f"{BASE}/discovery.json").json()["contact"] == HOSTILE + "\x01"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_at_the_root_of_the_open311_folder(db: None, fmt: str) -> None:
    """`/open311/discovery.*` (where partners look first) answers the same document."""
    root = Client().get(f"/open311/discovery.{fmt}")
    versioned = Client().get(f"{BASE}/discovery.{fmt}")
    assert root.status_code == 200
    assert root.content == versioned.content
    refused = Client().post(f"/open311/discovery.{fmt}")
    assert refused.status_code == 405
    assert errors_of(refused, fmt)[0][0] == 405
