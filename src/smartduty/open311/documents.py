"""GeoReport v2 documents: the spec's fields for services, service definitions, service
requests, tokens and the service discovery document, written as JSON or XML.

Every string that leaves here may have been typed by a hostile client or admin. JSON escapes
it by construction; XML goes through `xml.etree.ElementTree`, which escapes `&`, `<`, `>` and
quotes in text, after `xml_text` drops the characters XML 1.0 cannot carry at all (control
characters, lone surrogates, U+FFFE/U+FFFF), so every answer is well-formed. Nothing is ever
written into CDATA or parsed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, Literal
from xml.etree import ElementTree as ET  # builds documents, never parses

from django.utils import timezone

from smartduty.cases.models import Case, Category
from smartduty.open311.models import PublicReport
from smartduty.open311.selectors import open311_status

Format = Literal["json", "xml"]
Value = str | int | float | bool | None | Sequence["Value"] | Mapping[str, "Value"]

CONTENT_TYPES: Final = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# XML element of each item of a list (the spec's plural → singular names)
ITEM_TAG: Final = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
SPECIFICATION: Final = "http://wiki.open311.org/GeoReport_v2"
"""How the discovery document names the specification an endpoint implements."""
CHANGESET: Final = "2026-12-08T00:00:00+08:00"
"""When this interface last changed (tokens and discovery); the discovery document's
`changeset`, sortable as the spec asks. Bump it with every change partners can see."""
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TYPES: Final = {
    "text": "string",
    "number": "number",
    "choice": "singlevaluelist",
    "boolean": "singlevaluelist",
}


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (escaping is ElementTree's)."""
    return _NOT_XML.sub("", value)


def isotime(at: datetime | None) -> str | None:
    """ISO 8601 with the city's offset (`2026-01-05T10:00:00+08:00`), as the spec asks."""
    return timezone.localtime(at).isoformat(timespec="seconds") if at is not None else None


# --- the spec's documents ------------------------------------------------------------------


def _limit_text(category: Category) -> str:
    return f"{category.handle_limit.normalize():f} {category.get_handle_unit_display()}"


def service_notice(category: Category) -> str:
    """What a reporter may expect (the handling limit of the category)."""
    agency = category.get_agency_kind_display()
    return f"已受理。{category.name}由{agency}处置，处置时限 {_limit_text(category)}。"


def service(category: Category) -> dict[str, Value]:
    """One entry of `GET services`."""
    group = category.parent.name if category.parent is not None else ""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": (
            f"{group} / {category.name}（{category.get_kind_display()}）："
            f"{category.get_agency_kind_display()}处置，处置时限 {_limit_text(category)}"
        ),
        "metadata": bool(category.form_fields),
        "type": "realtime",
        "keywords": ",".join(
            filter(None, [group, category.name, category.get_agency_kind_display()])
        ),
        "group": group,
    }


def _attribute(order: int, field: Mapping[str, object]) -> dict[str, Value]:
    kind = str(field["type"])
    values: list[Value] = []
    if kind == "choice":
        choices = field.get("choices")
        values = [{"key": c, "name": c} for c in choices] if isinstance(choices, list) else []
    elif kind == "boolean":
        values = [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}]
    return {
        "variable": True,
        "code": str(field["name"]),
        "datatype": _TYPES[kind],
        "required": bool(field.get("required", False)),
        "datatype_description": "0 到 1000000 之间的数字" if kind == "number" else None,
        "order": order,
        "description": str(field["label"]),
        "values": values,
    }


def service_definition(category: Category) -> dict[str, Value]:
    """`GET services/{service_code}`: the category's form fields as attributes."""
    return {
        "service_code": category.code,
        "attributes": [_attribute(i, f) for i, f in enumerate(category.form_fields, start=1)],
    }


def created(report: PublicReport) -> dict[str, Value]:
    """The answer to `POST requests`: the case number at once, and the token that
    `tokens/{token}` resolves to it (for clients of the spec's asynchronous flow)."""
    case: Case = report.case
    return {
        "service_request_id": case.number,
        "token": report.token,
        "service_notice": service_notice(case.category),
        "account_id": None,
    }


def token(report: PublicReport) -> dict[str, Value]:
    """One entry of `GET tokens/{token}`: the service request id a token stands for."""
    return {"service_request_id": report.case.number, "token": report.token}


def discovery(*, base_url: str, contact: str, key_service: str) -> dict[str, Value]:
    """The service discovery document: one production GeoReport v2 endpoint at
    `base_url` (`…/open311/v2`), in XML and JSON."""
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_request(report: PublicReport) -> dict[str, Value]:
    """One entry of `GET requests`: published fields only; never the reporter's contact,
    the handling note, transition reasons or evidence photos."""
    case = report.case
    status, extended = open311_status(case.status)
    agency = (
        case.unit.agency.name if case.unit is not None else case.category.get_agency_kind_display()
    )
    updated: datetime | None = getattr(report, "updated_at", None)
    return {
        "service_request_id": case.number,
        "status": status,
        "status_notes": case.get_status_display(),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": agency,
        "service_notice": service_notice(case.category),
        "requested_datetime": isotime(case.created_at),
        "updated_datetime": isotime(updated or case.created_at),
        "expected_datetime": isotime(case.handle_due_at),
        "address": case.place,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": report.media_url,
        "extended_attributes": {"extended_status": extended},
    }


def errors(code: int, description: str) -> list[Value]:
    """The spec's error list (one error)."""
    return [{"code": code, "description": description}]


# --- writing -------------------------------------------------------------------------------


def to_json(document: Value) -> bytes:
    """UTF-8 JSON, Chinese as is."""
    return json.dumps(document, ensure_ascii=False).encode()


def _fill(element: ET.Element, value: Value) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list | tuple):
        tag = ITEM_TAG.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = xml_text(str(value))


def to_xml(root: str, document: Value) -> bytes:
    """UTF-8 XML with its declaration; a list becomes `root` with one element per item."""
    element = ET.Element(root)
    _fill(element, document)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def render(fmt: Format, root: str, document: Value) -> bytes:
    """The document in the asked format (`root`: the XML root element)."""
    return to_json(document) if fmt == "json" else to_xml(root, document)
