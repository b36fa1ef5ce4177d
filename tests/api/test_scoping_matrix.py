"""Scoping matrix: a principal of district B never reaches district A's rows.

Every operation in the OpenAPI document must appear below or in a `scoping_rows_<app>.py`
module beside this file; a new endpoint without a row fails `test_matrix_covers_every_operation`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from smartduty.api import api
from smartduty.kernel.models import AuditEntry
from smartduty.org.states import Role
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status
from smartduty.vehicles.models import Vehicle
from tests.factories.cases import case_in_a
from tests.factories.org import City, make_officer
from tests.factories.parking import jpeg_bytes, report_in

pytestmark = pytest.mark.django_db


@dataclass
class Targets:
    """District A's rows, by kind."""

    ids: dict[str, str]


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")


# operation id → (kind of A's row in the path, method, path suffix, body factory, multipart?)
PATH_OPS: dict[str, tuple[str, Callable[[], dict[str, Any]] | None, bool]] = {
    "org-get_district": ("district", None, False),
    "org-get_unit": ("unit", None, False),
    "org-get_officer": ("officer", None, False),
    "policy-get_policy": ("district", None, False),
    "policy-update_policy": ("district", lambda: {"reason": "x", "move_window_seconds": 60}, False),
    "policy-list_policy_versions": ("district", None, False),
    "evidence-get_photo": ("photo", None, False),
    "evidence-get_photo_display": ("photo", None, False),
    "evidence-get_photo_original": ("photo", None, False),
    "vehicles-get_vehicle": ("vehicle", None, False),
    "vehicles-reveal_phone": ("vehicle", lambda: {"reason": "核实车主身份"}, False),
    "parking-get_report": ("report", None, False),
    "parking-confirm_plate": ("report", lambda: {"plate": "鲁PA12345"}, False),
    "parking-create_transition": (
        "report",
        lambda: {"action": "void", "reason": "越权测试"},
        False,
    ),
    "parking-recheck": ("report", lambda: {"file": _photo(), "outcome": "gone"}, True),
    "parking-issue_notice": ("report", lambda: {}, False),
    "parking-get_notice_pdf": ("report", None, False),
    "parking-close_with_photo": ("report", lambda: {"file": _photo()}, True),
    "parking-get_timeline": ("report", None, False),
}

# operations without a path id: lists must leave A's rows out, creations into A must 404
LIST_OPS = {
    "org-list_districts": ("/api/v1/districts", "district"),
    "org-list_units": ("/api/v1/units", "unit"),
    "org-list_officers": ("/api/v1/officers", "officer"),
    "vehicles-list_vehicles": ("/api/v1/vehicles", "vehicle"),
    "parking-list_reports": ("/api/v1/parking-reports", "report"),
}
CREATE_INTO_A = {
    "evidence-upload_photo": "/api/v1/photos",
    "parking-create_report": "/api/v1/parking-reports",
}
UNSCOPED = {
    "org-create_token": "login: no rows of anybody",
    "org-get_me": "the caller's own account",
    "vehicles-validate_plate": "pure plate grammar check",
    "stats-get_parking_stats": "aggregates; checked below to count nothing of A",
}


def _merge_extra_rows() -> None:
    """Apps may add rows in `tests/api/scoping_rows_<app>.py` (same dict names as here)."""
    for path in sorted(Path(__file__).parent.glob("scoping_rows_*.py")):
        module = importlib.import_module(f"tests.api.{path.stem}")
        PATH_OPS.update(getattr(module, "PATH_OPS", {}))
        LIST_OPS.update(getattr(module, "LIST_OPS", {}))
        CREATE_INTO_A.update(getattr(module, "CREATE_INTO_A", {}))
        UNSCOPED.update(getattr(module, "UNSCOPED", {}))


_merge_extra_rows()


def _operations() -> dict[str, tuple[str, str]]:
    schema = api.get_openapi_schema()
    out = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            out[op["operationId"]] = (method.upper(), path)
    return out


def test_matrix_covers_every_operation() -> None:
    listed = set(PATH_OPS) | set(LIST_OPS) | set(CREATE_INTO_A) | set(UNSCOPED)
    assert set(_operations()) == listed


@pytest.fixture
def targets(city: City) -> Targets:
    officer = make_officer(city.unit_a, role=Role.OFFICER, username="a_field")
    report = report_in(Status.NOTICE_POSTED, officer)
    vehicle = Vehicle.objects.get(plate=report.plate)
    case = case_in_a(officer)
    return Targets(
        ids={
            "case": str(case.public_id),
            "approval": str(case.approvals.get().public_id),
            "district": str(city.district_a.public_id),
            "unit": str(city.unit_a.public_id),
            "officer": str(officer.public_id),
            "photo": str(report.photo.public_id),
            "vehicle": str(vehicle.public_id),
            "report": str(report.public_id),
        }
    )


@pytest.fixture
def intruder(city: City, api_client) -> Client:  # type: ignore[no-untyped-def]
    """A squad leader of district B: every permission an officer can have, wrong district."""
    return api_client(make_officer(city.unit_b, role=Role.SQUAD_LEADER, username="b_leader"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("op_id", sorted(PATH_OPS))
def test_path_operations_404(op_id: str, targets: Targets, intruder: Client) -> None:
    method, path = _operations()[op_id]
    kind, body, multipart = PATH_OPS[op_id]
    url = path.replace("{public_id}", targets.ids[kind])
    before = (
        ParkingReport.objects.values_list("status", "version").first(),
        AuditEntry.objects.count(),
    )
    data = body() if body else None
    if method == "GET":
        resp = intruder.get(url)
    elif multipart:
        resp = intruder.post(url, data)
    else:
        resp = getattr(intruder, method.lower())(url, data, content_type="application/json")
    assert resp.status_code == 404, (op_id, resp.status_code, resp.content[:200])
    assert resp.json()["code"] == "not_found"
    after = (
        ParkingReport.objects.values_list("status", "version").first(),
        AuditEntry.objects.count(),
    )
    assert after == before


@pytest.mark.parametrize("op_id", sorted(LIST_OPS))
def test_lists_leave_out_other_district(op_id: str, targets: Targets, intruder: Client) -> None:
    path, kind = LIST_OPS[op_id]
    resp = intruder.get(path)
    assert resp.status_code == 200
    body = resp.json()
    items = body["items"] if isinstance(body, dict) else body
    assert targets.ids[kind] not in {str(item["public_id"]) for item in items}


@pytest.mark.parametrize("op_id", sorted(CREATE_INTO_A))
def test_creating_into_other_district_404(op_id: str, targets: Targets, intruder: Client) -> None:
    count = ParkingReport.objects.count()
    resp = intruder.post(
        CREATE_INTO_A[op_id], {"file": _photo(), "district_id": targets.ids["district"]}
    )
    assert resp.status_code == 404, resp.content
    assert ParkingReport.objects.count() == count


def test_stats_count_nothing_of_other_district(targets: Targets, intruder: Client) -> None:
    # naming the other district is a 404 like every other out-of-scope id
    named = intruder.get(f"/api/v1/stats/parking?district_id={targets.ids['district']}")
    assert named.status_code == 404
    assert intruder.get("/api/v1/stats/parking").json()["total"]["reports"] == 0
