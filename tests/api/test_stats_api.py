"""Stats: the command centre dashboard, the officer's day, the Excel export, the outbox view."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from smartduty.notifications import outbox
from smartduty.org.models import Officer
from smartduty.org.states import Role
from smartduty.parking.states import Status
from smartduty.stats.selectors import street_of
from tests.factories.org import City, make_officer
from tests.factories.parking import make_report, register_owner, report_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(officer_a: Officer) -> dict[str, str]:
    """One report of district A in each interesting state."""
    plates = {
        Status.MOVED: "鲁PA10001",
        Status.NOTICE_POSTED: "鲁PA10002",
        Status.AWAITING_MOVE: "鲁PA10003",
        Status.AWAITING_RECHECK: "鲁PA10004",
        Status.CLOSED: "鲁PA10005",
    }
    return {str(s): str(report_in(s, officer_a, plate=p).public_id) for s, p in plates.items()}


def test_dashboard_totals_match_the_counters(
    cases: dict[str, str],
    officer_a: Officer,
    commander: Officer,
    api_client,
    django_assert_max_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(commander)
    with django_assert_max_num_queries(12):
        board = client.get("/api/v1/stats/parking/dashboard").json()
    counters = client.get("/api/v1/stats/parking").json()["total"]
    assert board["total"] == counters
    assert (counters["reports"], counters["moved"], counters["notices"]) == (5, 1, 2)
    assert board["total"]["compliance_rate"] == pytest.approx(1 / 3, abs=1e-4)

    assert len(board["hourly"]) == 24
    assert sum(p["reports"] for p in board["hourly"]) == 5
    assert [p["label"] for p in board["daily"]][-1] == timezone.localdate().isoformat()
    assert len(board["daily"]) == 7
    assert sum(p["moved"] for p in board["daily"]) == 1

    heat = board["heatmap"]
    assert heat["streets"] == ["人民路"]
    assert sum(c[2] for c in heat["cells"]) == 5
    assert heat["max"] == 5

    open_ids = {c["public_id"] for c in board["open_cases"]}
    assert open_ids == {cases["notice_posted"], cases["awaiting_move"], cases["awaiting_recheck"]}
    assert board["open_total"] == 3
    first = board["open_cases"][0]
    assert first["public_id"] == cases["awaiting_recheck"] or first["deadline_at"] is not None
    waiting = next(c for c in board["open_cases"] if c["public_id"] == cases["awaiting_move"])
    assert 0 < waiting["seconds_left"] <= 600
    assert waiting["officer"] == officer_a.name
    assert waiting["badge_number"] == officer_a.badge_number
    assert len(board["points"]) == 5
    assert board["capabilities"] == {
        "zombie_cars_cleared": None,
        "parking_spaces_painted": None,
        "line_metres_painted": None,
    }


def test_dashboard_filters_by_district_unit_and_period(
    city: City, cases: dict[str, str], officer_b: Officer, commander: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_b, "鲁PB20001")
    make_report(officer_b, plate="鲁PB20001", confirm=True, place="文化路1号")
    client: Client = api_client(commander)
    assert client.get("/api/v1/stats/parking/dashboard").json()["total"]["reports"] == 6
    only_b = client.get(
        "/api/v1/stats/parking/dashboard", {"district_id": str(city.district_b.public_id)}
    ).json()
    assert only_b["total"]["reports"] == 1
    assert only_b["heatmap"]["streets"] == ["文化路"]
    assert only_b["open_total"] == 1
    by_unit = client.get(
        "/api/v1/stats/parking/dashboard", {"unit_id": str(city.unit_a.public_id)}
    ).json()
    assert by_unit["total"]["reports"] == 5
    old = (timezone.localdate() - timedelta(days=30)).isoformat()
    past = client.get("/api/v1/stats/parking/dashboard", {"date_from": old, "date_to": old}).json()
    assert past["total"]["reports"] == 0
    assert past["open_total"] == 4  # open cases are live, whatever the period
    bad = client.get(
        "/api/v1/stats/parking/dashboard",
        {"date_from": "2026-02-02", "date_to": "2026-01-01"},
    )
    assert bad.status_code == 422
    assert "开始日期" in bad.json()["message"]
    too_long = client.get(
        "/api/v1/stats/parking/dashboard", {"date_from": "2024-01-01", "date_to": "2026-01-01"}
    )
    assert too_long.status_code == 422


def test_days_and_hours_are_local_time(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    # 2026-03-01 23:30 in Asia/Shanghai is 15:30 UTC the same day
    with time_machine.travel("2026-03-01T15:30:00Z", tick=False):
        make_report(officer_a, plate="鲁PA12345", confirm=True)
    board = (
        api_client(officer_a)
        .get(
            "/api/v1/stats/parking/dashboard", {"date_from": "2026-03-01", "date_to": "2026-03-02"}
        )
        .json()
    )
    assert [(p["label"], p["reports"]) for p in board["daily"]] == [
        ("2026-03-01", 1),
        ("2026-03-02", 0),
    ]
    assert next(p for p in board["hourly"] if p["reports"])["label"] == "23"


def test_my_day(officer_a: Officer, leader_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    register_owner(officer_a)
    make_report(officer_a, plate="鲁PA12345", confirm=True)
    make_report(leader_a, plate="鲁PA99999")
    mine = api_client(officer_a).get("/api/v1/stats/parking/today").json()
    assert mine["date"] == timezone.localdate().isoformat()
    assert mine["unit"] == officer_a.unit.name
    assert mine["district"] == officer_a.unit.district.name
    assert mine["unit_total"]["reports"] == 2
    assert mine["mine"]["reports"] == 1
    assert mine["mine"]["open"] == 1


def test_my_day_without_officer_record(city: City) -> None:
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from smartduty.org import services  # noqa: PLC0415

    user = get_user_model().objects.create_superuser("root", password="pass-1234")
    _, raw = services.issue_token(user=user)
    body = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/stats/parking/today").json()
    assert body["unit"] == ""
    assert body["mine"]["reports"] == 0


def test_export_has_chinese_headers_and_the_totals(
    city: City, cases: dict[str, str], commander: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(commander)
    resp = client.get("/api/v1/stats/parking.xlsx", {"district_id": str(city.district_a.public_id)})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in resp["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames == ["汇总", "明细", "按小时", "按日", "待处理案件"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["统计范围"] == "东区"
    assert summary["上报数"] == 5
    assert summary["劝离数（辆）"] == 1
    assert summary["贴单数（张）"] == 2
    assert summary["劝离率"] == "33.3%"
    assert summary["清理僵尸车（辆）"] == "（功能建设中）"
    assert summary["导出人"] == "commander"
    detail = list(book["明细"].iter_rows(values_only=True))
    assert detail[0] == (
        "日期",
        "辖区",
        "单位",
        "上报数",
        "劝离数",
        "贴单数",
        "处理中",
        "劝离率",
        "挪车用时中位数（分钟）",
    )
    assert detail[-1][0] == "合计"
    assert len(list(book["按小时"].iter_rows())) == 25
    open_rows = list(book["待处理案件"].iter_rows(values_only=True))
    assert open_rows[0][:3] == ("车牌", "地点", "状态")
    assert len(open_rows) == 4


def test_export_labels_unit_and_out_of_scope_filters(
    city: City, officer_b: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(officer_b)
    resp = client.get(
        "/api/v1/stats/parking.xlsx",
        {"district_id": str(city.district_b.public_id), "unit_id": str(city.unit_b.public_id)},
    )
    summary = {
        r[0]: r[1]
        for r in load_workbook(io.BytesIO(resp.content))["汇总"].iter_rows(values_only=True)
    }
    assert summary["统计范围"] == "西区 / 西区一中队"
    assert summary["上报数"] == 0
    assert summary["劝离率"] == "—"
    foreign = client.get(
        "/api/v1/stats/parking.xlsx", {"district_id": str(city.district_a.public_id)}
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "not_found"


def test_outbox_shows_masked_sms_of_my_reports(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    report = report_in(Status.AWAITING_MOVE, officer_a, plate="鲁PA12345")
    client: Client = api_client(officer_a)
    deliveries = client.get(
        "/api/v1/outbox/deliveries", {"report_id": str(report.public_id)}
    ).json()
    assert [(d["channel"], d["status"]) for d in deliveries] == [("sms", "pending")]
    assert deliveries[0]["recipient_masked"] == "138****1234"
    assert "鲁PA12345" in deliveries[0]["text"]
    assert client.get("/api/v1/outbox/console").json() == []  # not sent yet

    assert outbox.send_next_due()
    sent = client.get("/api/v1/outbox/deliveries", {"report_id": str(report.public_id)}).json()
    assert sent[0]["status"] == "sent"
    assert sent[0]["status_label"] == "已发送"
    assert sent[0]["sent_at"]
    console = client.get("/api/v1/outbox/console").json()
    assert len(console) == 1
    message = console[0]
    assert message["report_id"] == str(report.public_id)
    assert message["plate"] == "鲁PA12345"
    assert message["recipient_masked"] == "138****1234"
    assert message["delivery_status"] == "sent"
    assert "13800001234" not in str(console)
    assert "13800001234" not in str(sent)
    by_report = client.get("/api/v1/outbox/console", {"report_id": str(report.public_id)}).json()
    assert by_report == console


def test_intruder_sees_no_sms_of_a(officer_a: Officer, city: City, api_client) -> None:  # type: ignore[no-untyped-def]
    report = report_in(Status.AWAITING_MOVE, officer_a)
    assert outbox.send_next_due()
    intruder: Client = api_client(make_officer(city.unit_b, role=Role.SQUAD_LEADER))
    assert intruder.get("/api/v1/outbox/console").json() == []
    rid = str(report.public_id)
    assert intruder.get("/api/v1/outbox/console", {"report_id": rid}).status_code == 404
    assert intruder.get("/api/v1/outbox/deliveries", {"report_id": rid}).status_code == 404


def test_intruder_dashboard_counts_nothing_of_a(
    city: City, cases: dict[str, str], api_client
) -> None:  # type: ignore[no-untyped-def]
    intruder: Client = api_client(make_officer(city.unit_b, role=Role.SQUAD_LEADER))
    board = intruder.get("/api/v1/stats/parking/dashboard").json()
    assert board["total"]["reports"] == 0
    assert board["open_cases"] == []
    assert board["open_total"] == 0
    assert board["points"] == []
    assert board["heatmap"]["cells"] == []
    # naming a district out of scope is a 404, as everywhere else in the API
    foreign = intruder.get(
        "/api/v1/stats/parking/dashboard", {"district_id": str(city.district_a.public_id)}
    )
    assert foreign.status_code == 404


def test_intruder_export_counts_nothing_of_a(city: City, cases: dict[str, str], api_client) -> None:  # type: ignore[no-untyped-def]
    intruder: Client = api_client(make_officer(city.unit_b, role=Role.SQUAD_LEADER))
    resp = intruder.get("/api/v1/stats/parking.xlsx")
    book = load_workbook(io.BytesIO(resp.content))
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True)}
    assert summary["上报数"] == 0
    assert len(list(book["待处理案件"].iter_rows())) == 1


@pytest.mark.parametrize(
    ("place", "street"),
    [
        ("人民路88号新华书店门前", "人民路"),
        ("东昌府区柳园南大道与建设路口", "东昌府区柳园南大道"),
        ("阳光小学门口", "阳光小学门口"[:8]),
        ("", "东区"),
        ("  解放街12号 ", "解放街"),
    ],
)
def test_street_of(place: str, street: str) -> None:
    assert street_of(place, "东区") == street


def test_export_survives_control_characters_and_never_writes_a_formula(
    officer_a: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    make_report(officer_a, place="人民路\x0188号\x1f门前")
    make_report(officer_a, plate="鲁PB12345", place='=HYPERLINK("http://evil.example","点我")')
    make_report(officer_a, plate="鲁PC12345", place="@SUM(1+1)")
    resp = api_client(officer_a).get("/api/v1/stats/parking.xlsx")
    assert resp.status_code == 200, resp.content
    sheet = load_workbook(io.BytesIO(resp.content))["待处理案件"]
    places = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert "人民路88号门前" in places
    assert '\'=HYPERLINK("http://evil.example","点我")' in places
    assert "'@SUM(1+1)" in places
    for cell in places.values():
        assert cell.data_type == "s"  # text, never "f" (formula)


def test_stats_of_a_district_or_unit_out_of_scope_are_a_404(
    city: City, officer_b: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(officer_b)
    for path in ("/api/v1/stats/parking", "/api/v1/stats/parking/dashboard"):
        district = client.get(path, {"district_id": str(city.district_a.public_id)})
        assert district.status_code == 404, path
        assert district.json()["code"] == "not_found"
        unit = client.get(path, {"unit_id": str(city.unit_a.public_id)})
        assert unit.status_code == 404, path
        unknown = client.get(path, {"district_id": "00000000-0000-0000-0000-000000000000"})
        assert unknown.status_code == 404, path
        assert client.get(path, {"district_id": str(city.district_b.public_id)}).status_code == 200


def test_console_outbox_needs_its_view_permission(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(officer_a)
    assert client.get("/api/v1/outbox/console").status_code == 200  # granted to field roles
    officer_a.user.groups.clear()
    officer_a.user.user_permissions.add(
        *Permission.objects.filter(codename="view_parkingreport", content_type__app_label="parking")
    )
    denied = api_client(officer_a).get("/api/v1/outbox/console")
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert "控制台短信" in denied.json()["message"]


@pytest.mark.parametrize("value", ["0", "1700000000", "-5", "1.5"])
def test_a_period_given_as_a_number_is_refused(officer_a: Officer, api_client, value: str) -> None:  # type: ignore[no-untyped-def]
    """`format: date` is YYYY-MM-DD text; pydantic alone would read `0` as 1970-01-01."""
    client: Client = api_client(officer_a)
    for path in ("/api/v1/stats/parking", "/api/v1/stats/parking/dashboard"):
        for name in ("date_from", "date_to"):
            answer = client.get(path, {name: value})
            assert answer.status_code == 422, (path, name, answer.content)
    ok = client.get("/api/v1/stats/parking", {"date_from": "2026-12-01", "date_to": "2026-12-03"})
    assert ok.status_code == 200
    assert (ok.json()["date_from"], ok.json()["date_to"]) == ("2026-12-01", "2026-12-03")
