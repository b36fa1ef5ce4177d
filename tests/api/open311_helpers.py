"""Shared parts of the Open311 tests (`test_open311_*.py`): the spec's example documents,
shape checks against them, parsing of our XML and error lists (the fixtures `open311_key`
and `open311_post` are in `tests/api/conftest.py`).

The examples are the GeoReport v2 specification's own (https://wiki.open311.org/GeoReport_v2
and its Service Discovery page), trimmed to one item per list: our documents must have the
same fields (plus the extensions named where a test compares), in JSON and in XML.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final
from xml.etree import ElementTree as ET

from smartduty.kernel.models import Timer
from smartduty.open311 import services

BASE = "/open311/v2"
PHONE = "13812345678"
EMAIL = "reporter@example.com"
HOSTILE = "<script>alert('x')</script> ]]> & \"q\" 摊位"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

# --- the spec's examples ---------------------------------------------------------------------

SPEC_SERVICES_JSON = """[{"service_code": "001", "service_name": "Cans left out 24x7",
 "description": "Garbage or recycling cans that have been left out for more than 24 hours.",
 "metadata": true, "type": "realtime", "keywords": "lorem, ipsum, dolor",
 "group": "sanitation"}]"""
SPEC_SERVICES_XML = """<services><service><service_code>001</service_code>
<service_name>Cans left out 24x7</service_name><description>Garbage cans</description>
<metadata>true</metadata><type>realtime</type><keywords>lorem, ipsum, dolor</keywords>
<group>sanitation</group></service></services>"""
SPEC_DEFINITION_JSON = """{"service_code": "DMV66", "attributes": [{"variable": true,
 "code": "WHISHETN", "datatype": "singlevaluelist", "required": true,
 "datatype_description": null, "order": 1, "description": "What is the ticket/tag/DL number?",
 "values": [{"key": 123, "name": "Ford"}, {"key": 124, "name": "Chrysler"}]}]}"""
SPEC_DEFINITION_XML = """<service_definition><service_code>DMV66</service_code><attributes>
<attribute><variable>true</variable><code>WHISHETN</code><datatype>singlevaluelist</datatype>
<required>true</required><datatype_description></datatype_description><order>1</order>
<description>What is the ticket/tag/DL number?</description><values><value><key>123</key>
<name>Ford</name></value></values></attribute></attributes></service_definition>"""
SPEC_POST_JSON = """[{"service_request_id": 293944,
 "service_notice": "The City will inspect and require the responsible party to correct.",
 "account_id": null}]"""
SPEC_POST_TOKEN_JSON = """[{"token": "12345", "service_notice": "The City will inspect.",
 "account_id": null}]"""
SPEC_POST_XML = """<service_requests><request><service_request_id>293944</service_request_id>
<service_notice>The City will inspect.</service_notice><account_id/></request>
</service_requests>"""
SPEC_TOKEN_JSON = """[{"service_request_id": 638344, "token": 12345}]"""
SPEC_TOKEN_XML = """<service_requests><request><service_request_id>638344</service_request_id>
<token>12345</token></request></service_requests>"""
SPEC_REQUESTS_JSON = """[{"service_request_id": 638344, "status": "closed",
 "status_notes": "Duplicate request.", "service_name": "Sidewalk and Curb Issues",
 "service_code": "006", "description": null, "agency_responsible": null,
 "service_notice": null, "requested_datetime": "2010-04-14T06:37:38-08:00",
 "updated_datetime": "2010-04-14T06:37:38-08:00",
 "expected_datetime": "2010-04-15T06:37:38-08:00", "address": "8TH AVE and JUDAH ST",
 "address_id": 545483, "zipcode": 94122, "lat": 37.762221815, "long": -122.4651145,
 "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"}]"""
SPEC_REQUESTS_XML = """<service_requests><request>
<service_request_id>638344</service_request_id><status>closed</status>
<status_notes>Duplicate request.</status_notes><service_name>Sidewalk</service_name>
<service_code>006</service_code><description></description>
<agency_responsible></agency_responsible><service_notice></service_notice>
<requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
<updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>
<expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
<address>8TH AVE and JUDAH ST</address><address_id>545483</address_id>
<zipcode>94122</zipcode><lat>37.762221815</lat><long>-122.4651145</long>
<media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>
</request></service_requests>"""
SPEC_ERRORS_JSON = """[{"code": 403, "description": "Invalid api_key"}]"""
SPEC_ERRORS_XML = """<errors><error><code>403</code><description>Invalid api_key</description>
</error></errors>"""
SPEC_DISCOVERY_JSON = """{"changeset": "2011-04-05T17:48:34Z",
 "contact": "You can email or call for assistance api@example.com +1 (555) 555-5555",
 "key_service": "You can request a key here: http://api.example.com/api_key_request",
 "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
 "url": "http://open311.example.com/v2", "changeset": "2011-04-25T17:48:34Z",
 "type": "production", "formats": ["text/xml", "application/json"]}]}"""
SPEC_DISCOVERY_XML = """<discovery><changeset>2011-04-05T17:48:34Z</changeset>
<contact>You can email or call for assistance</contact>
<key_service>You can request a key here</key_service><endpoints><endpoint>
<specification>http://wiki.open311.org/GeoReport_v2</specification>
<url>http://open311.example.com/v2</url><changeset>2011-04-25T17:48:34Z</changeset>
<type>production</type><formats><format>text/xml</format><format>application/json</format>
</formats></endpoint></endpoints></discovery>"""

EXTENDED: Final = frozenset({"[].extended_attributes", "[].extended_attributes.extended_status"})
"""Our one extension of a service request (FixMyStreet's extended statuses)."""


def json_paths(document: Any, prefix: str = "") -> set[str]:
    """Every field of a JSON document as a path (`[].attributes[].values[].key`), the items of
    a list merged, so that two documents of the same shape give the same set."""
    found: set[str] = set()
    if isinstance(document, dict):
        for name, value in document.items():
            here = f"{prefix}.{name}" if prefix else name
            found.add(here)
            found |= json_paths(value, here)
    elif isinstance(document, list):
        for item in document:
            found |= json_paths(item, prefix + "[]")
    return found


def xml_paths(element: ET.Element, prefix: str = "") -> set[str]:
    """Every element of an XML document as a path of tags (`service_requests/request/token`)."""
    here = f"{prefix}/{element.tag}" if prefix else element.tag
    found = {here}
    for child in element:
        found |= xml_paths(child, here)
    return found


def spec_json(example: str) -> set[str]:
    """The paths of one of the spec's JSON examples."""
    return json_paths(json.loads(example))


def spec_xml(example: str) -> set[str]:
    """The paths of one of the spec's XML examples."""
    return xml_paths(ET.fromstring(example))  # noqa: S314 - our own constant


def xml_root(body: bytes) -> ET.Element:
    """Our XML answer, parsed (it must start with the declaration and be well-formed)."""
    assert body.startswith(XML_DECLARATION), body[:60]
    return ET.fromstring(body)  # noqa: S314 - our own answer, checked for well-formedness


def errors_of(resp: Any, fmt: str) -> list[tuple[int, str]]:
    """The spec's error list of an answer, as (code, description) pairs."""
    if fmt == "json":
        body = resp.json()
        assert json_paths(body) == spec_json(SPEC_ERRORS_JSON)
        return [(e["code"], e["description"]) for e in body]
    root = xml_root(resp.content)
    assert xml_paths(root) == spec_xml(SPEC_ERRORS_XML)
    return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root]


def public_case(post: Callable[..., Any], **fields: Any) -> str:
    """POST a request and return its service request id (the case number)."""
    resp = post(**fields)
    assert resp.status_code == 200, resp.content
    number: str = resp.json()[0]["service_request_id"]
    return number


def erasure_timers() -> Any:
    """The contact-erasure timers (a queryset), oldest first."""
    return Timer.objects.filter(kind=services.ERASE_CONTACT).order_by("id")
