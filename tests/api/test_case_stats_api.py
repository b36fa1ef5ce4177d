"""The 数字城管 KPI table API (`/stats/cases`, `.xlsx`) and the daily case report downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from smartduty.cases.models import Category
from smartduty.cases.states import Status
from smartduty.org.models import Officer
from smartduty.stats import services
from smartduty.stats.models import CaseReport
from tests import pdf
from tests.factories.case_rows import case_row, save_cases
from tests.factories.org import City

ApiClient = Callable[[Officer], Client]
pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
QUERY = "date_from=2026-03-01&date_to=2026-03-31"


@pytest.fixture
def march(city: City) -> None:
    category = Category.objects.get(code="E0401")
    due = datetime(2026, 3, 20, 12, tzinfo=TZ)
    rows = [
        case_row(
            district=city.district_a,
            category=category,
            unit=city.unit_a,
            created_at=datetime(2026, 3, 2 + i, 9, tzinfo=TZ),
            status=Status.CLOSED if i < 9 else Status.DISPATCHED,
            handle_due_at=due,
            closed_at=datetime(2026, 3, 2 + i, 15, tzinfo=TZ) if i < 9 else None,
            overdue=i >= 8,
            place='=HYPERLINK("http://evil")' if i == 0 else "人民路",
        )
        for i in range(10)
    ]
    rows.append(
        case_row(
            district=city.district_b,
            category=category,
            unit=city.unit_b,
            created_at=datetime(2026, 3, 3, 9, tzinfo=TZ),
            description="=1+1",
        )
    )
    save_cases(rows)
    # a unit whose name looks like a formula must stay text in the export
    city.unit_a.name = "=cmd|' /C calc'!A0\x07"
    city.unit_a.save()


def test_kpi_table_json_shape_and_total(
    march: None, commander: Officer, api_client: ApiClient, django_assert_max_num_queries: Any
) -> None:
    client: Client = api_client(commander)
    with django_assert_max_num_queries(8):
        resp = client.get(f"/api/v1/stats/cases?group_by=unit&{QUERY}")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["date_from"], body["date_to"], body["group_by"]) == (
        "2026-03-01",
        "2026-03-31",
        "unit",
    )
    total = body["total"]
    assert total["key"] is None
    assert total["label"] == "合计"
    assert (total["received"], total["registered"], total["due"], total["closed"]) == (
        11,
        11,
        10,
        9,
    )
    assert total["closure_rate"] == 90.0
    assert total["on_time_rate"] == 80.0
    assert total["mean_handling_hours"] == 6.0
    assert {r["label"] for r in body["rows"]} == {"=cmd|' /C calc'!A0\x07", "西区一中队"}
    by_district = client.get(f"/api/v1/stats/cases?group_by=district&{QUERY}").json()
    assert {r["label"]: r["received"] for r in by_district["rows"]} == {"东区": 10, "西区": 1}


def test_kpi_table_is_scoped_to_the_caller(
    march: None, officer_b: Officer, city: City, api_client: ApiClient
) -> None:
    client: Client = api_client(officer_b)
    body = client.get(f"/api/v1/stats/cases?{QUERY}").json()
    assert body["total"]["received"] == 1
    for path in ("/api/v1/stats/cases", "/api/v1/stats/cases.xlsx"):
        resp = client.get(f"{path}?{QUERY}&district_id={city.district_a.public_id}")
        assert resp.status_code == 404
        assert resp.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "date_to=0",
        "date_from=2026-13-01",
        "date_from=2026-03-10&date_to=2026-03-01",
        "date_from=2024-01-01&date_to=2026-01-01",
        "group_by=street",
        "district_id=not-a-uuid",
    ],
)
def test_bad_queries_are_422(query: str, commander: Officer, api_client: ApiClient) -> None:
    for path in ("/api/v1/stats/cases", "/api/v1/stats/cases.xlsx"):
        resp = api_client(commander).get(f"{path}?{query}")
        assert resp.status_code == 422, (path, query, resp.content)
        assert resp.json()["message"]


def test_xlsx_opens_has_no_formulas_and_grades_rates(
    march: None, commander: Officer, api_client: ApiClient
) -> None:
    resp = api_client(commander).get(f"/api/v1/stats/cases.xlsx?{QUERY}")
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["汇总", "考核指标"]
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    assert "'=cmd|' /C calc'!A0" in values  # the control character is gone too
    ws = wb["考核指标"]
    header = [c.value for c in ws[1]]
    closure = header.index("结案率") + 1
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    east, total = rows["'=cmd|' /C calc'!A0"], rows["合计"]
    assert ws.cell(row=east, column=closure).value == 90.0
    assert ws.cell(row=east, column=closure).fill.fgColor.rgb.endswith("C6EFCE")  # green
    assert ws.cell(row=east, column=closure + 1).value == 80.0
    assert ws.cell(row=east, column=closure + 1).fill.fgColor.rgb.endswith("FFEB9C")  # yellow
    assert ws.cell(row=total, column=2).value == 11


def test_daily_report_downloads(
    march: None, city: City, commander: Officer, officer_b: Officer, api_client: ApiClient
) -> None:
    run_at = datetime(2026, 3, 4, 7, tzinfo=TZ)
    services.plan_daily_reports(run_at=run_at, now=run_at)
    for report in CaseReport.objects.all():
        services.render_case_report(report_id=report.pk)
    client: Client = api_client(commander)
    listed = client.get("/api/v1/stats/case-reports").json()
    assert {r["district"] for r in listed} == {"示范市", "东区", "西区", "东一街道", "西一街道"}
    assert {r["day"] for r in listed} == {"2026-03-03"}
    east = next(r for r in listed if r["district"] == "东区")
    doc = client.get(east["pdf_url"])
    assert doc.status_code == 200
    assert doc["Content-Type"] == "application/pdf"
    text = pdf.text(doc.content)
    assert "东区数字城管案件日报" in text
    assert "2026年03月03日" in text
    sheet = client.get(east["xlsx_url"])
    assert sheet.status_code == 200
    load_workbook(io.BytesIO(sheet.content))
    # district B's officer sees B's reports only; A's report is a 404
    intruder = api_client(officer_b)
    assert {r["district"] for r in intruder.get("/api/v1/stats/case-reports").json()} == {
        "西区",
        "西一街道",
    }
    assert intruder.get(east["pdf_url"]).status_code == 404
    assert intruder.get(east["xlsx_url"]).status_code == 404
    resp = intruder.get(f"/api/v1/stats/case-reports?district_id={city.district_a.public_id}")
    assert resp.status_code == 404
    assert date.fromisoformat(east["day"]) == date(2026, 3, 3)
