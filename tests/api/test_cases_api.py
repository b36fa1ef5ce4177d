"""The case API: a 占道经营 case through the whole loop over HTTP, refusals that change nothing,
the approval ledger, and scope."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from smartduty.cases.models import Case, CaseApproval
from smartduty.evidence.models import Photo
from smartduty.org.models import Officer
from tests.factories.org import City
from tests.factories.parking import jpeg_bytes, make_report

pytestmark = pytest.mark.django_db


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")


def _act(client: Client, case_id: str, **form: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/transitions", form)


def test_categories_for_the_tiles(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    tiles = api_client(officer_a).get("/api/v1/case-categories").json()
    assert tiles[0]["code"] == "E0404"  # 违法停车 first
    assert tiles[0]["workflow"] == "parking"
    stalls = next(t for t in tiles if t["code"] == "E0401")
    assert stalls["parent_name"] == "街面秩序"
    assert [f["name"] for f in stalls["form_fields"]] == ["stall_count", "goods"]


def test_the_loop_over_http(city: City, officer_a: Officer, commander: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    officer, command = api_client(officer_a), api_client(commander)
    created = officer.post(
        "/api/v1/cases",
        {
            "file": _photo(),
            "category_code": "E0401",
            "place": "人民路88号",
            "lat": 36.456,
            "lon": 115.985,
            "form_data": json.dumps({"stall_count": 2, "goods": "果蔬"}),
            "idempotency_key": "case-key-0001",
        },
    )
    assert created.status_code == 201, created.content
    case = created.json()
    assert (case["status"], case["category_name"], case["channel"]) == (
        "reported",
        "占道经营",
        "officer",
    )
    assert case["photo_url"].endswith("/display")
    again = officer.post(
        "/api/v1/cases", {"category_code": "E0401", "idempotency_key": "case-key-0001"}
    )
    assert (again.status_code, again.json()["public_id"]) == (200, case["public_id"])
    cid = case["public_id"]
    # a 队员 cannot 立案; 指挥中心 can, then dispatches to unit A
    assert _act(officer, cid, action="register").status_code == 403
    assert _act(command, cid, action="register").json()["status"] == "registered"
    dispatched = _act(command, cid, action="dispatch", unit_id=str(city.unit_a.public_id))
    assert dispatched.json()["status"] == "dispatched"
    assert dispatched.json()["unit"] == city.unit_a.name
    # 处置 needs the after-photo; nothing is stored or changed without it
    photos = Photo.objects.count()
    missing = _act(officer, cid, action="handle", note="已劝离")
    assert missing.status_code == 422
    assert "处置后照片" in missing.json()["message"]
    assert Photo.objects.count() == photos
    handled = _act(officer, cid, action="handle", note="已劝离", file=_photo())
    assert handled.json()["status"] == "handled", handled.content
    assert handled.json()["after_photo_url"]
    closed = _act(command, cid, action="verify_pass", file=_photo())
    assert closed.json()["status"] == "closed"
    assert closed.json()["on_time"] is True
    evaluated = _act(officer, cid, action="evaluate", rating=5)
    assert evaluated.json()["status"] == "evaluated"
    steps = [row["action"] for row in officer.get(f"/api/v1/cases/{cid}/timeline").json()]
    assert steps == ["report", "register", "dispatch", "handle", "verify_pass", "evaluate"]
    board = command.get("/api/v1/cases").json()
    assert board["count"] == 1
    assert board["items"][0]["public_id"] == cid


def test_refusals_change_nothing(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    client = api_client(officer_a)
    for form, status, text in (
        ({"category_code": "E0404"}, 422, "违停上报"),
        ({"category_code": "E9999"}, 404, "类别"),
        ({"category_code": "E0401", "form_data": "[1]"}, 422, "JSON 对象"),
        ({"category_code": "E0401", "form_data": "{bad"}, 422, "JSON 对象"),
        ({"category_code": "E0401", "form_data": '{"goods": "烟花"}'}, 422, "须为"),
        ({"category_code": "E0401", "place": "人民路\u0007"}, 422, "控制字符"),
    ):
        answer = client.post("/api/v1/cases", {"file": _photo(), **form})
        assert answer.status_code == status, (form, answer.content)
        assert text in answer.json()["message"]
    assert Case.objects.count() == 0
    assert Photo.objects.count() == 0  # no upload stored for a refused report


def test_intruder_cannot_report_into_a(city: City, officer_b: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    answer = api_client(officer_b).post(
        "/api/v1/cases",
        {
            "file": _photo(),
            "category_code": "E0401",
            "district_id": str(city.district_a.public_id),
        },
    )
    assert answer.status_code == 404
    assert Case.objects.count() == 0
    assert Photo.objects.count() == 0


def test_approvals_over_http(
    city: City, officer_a: Officer, leader_a: Officer, commander: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    command, leader = api_client(commander), api_client(leader_a)
    cid = (
        api_client(officer_a).post("/api/v1/cases", {"category_code": "E0402"}).json()["public_id"]
    )
    _act(command, cid, action="register")
    _act(command, cid, action="dispatch", unit_id=str(city.unit_a.public_id))
    asked = leader.post(
        f"/api/v1/cases/{cid}/approvals",
        {"action": "extend", "reason": "店主外出，明日整改", "extra_hours": "4"},
        content_type="application/json",
    )
    assert asked.status_code == 201, asked.content
    approval = asked.json()
    assert (approval["action_label"], approval["status"]) == ("延期", "pending")
    second = leader.post(
        f"/api/v1/cases/{cid}/approvals",
        {"action": "defer", "reason": "再申请一次缓办"},
        content_type="application/json",
    )
    assert second.status_code == 409
    # the 中队长 may not approve an extension; the 指挥中心 may
    url = f"/api/v1/case-approvals/{approval['public_id']}/decision"
    refused = leader.post(url, {"approve": True}, content_type="application/json")
    assert refused.status_code == 403
    assert "指挥中心" in refused.json()["message"]
    pending = command.get("/api/v1/case-approvals").json()
    assert [a["public_id"] for a in pending["items"]] == [approval["public_id"]]
    decided = command.post(url, {"approve": True, "note": "同意"}, content_type="application/json")
    assert decided.json()["status"] == "approved"
    case = command.get(f"/api/v1/cases/{cid}").json()
    assert case["extension_count"] == 1
    assert CaseApproval.objects.get().decided_by == commander.user
    assert command.get("/api/v1/case-approvals").json()["count"] == 0


def test_case_output_for_the_screens(officer_a: Officer, commander: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    officer, command = api_client(officer_a), api_client(commander)
    created = officer.post("/api/v1/cases", {"file": _photo(), "category_code": "E0401"}).json()
    cid = created["public_id"]
    assert created["reported_by_me"] is True
    assert (created["step_started_at"], created["verify_photo_url"]) == (None, None)
    assert command.get(f"/api/v1/cases/{cid}").json()["reported_by_me"] is False
    registered = _act(command, cid, action="register").json()
    assert registered["step"] == "dispatch"
    assert registered["step_started_at"] is not None
    assert registered["step_started_at"] < registered["step_due_at"]
    _act(command, cid, action="dispatch", unit_id=str(officer_a.unit.public_id))
    handled = _act(officer, cid, action="handle", note="已劝离", file=_photo()).json()
    assert handled["handling_note"] == "已劝离"
    closed = _act(command, cid, action="verify_pass", file=_photo()).json()
    assert closed["status"] == "closed"
    assert closed["verify_photo_url"].startswith("/api/v1/photos/")
    assert closed["verify_photo_url"] != closed["after_photo_url"]
    assert (closed["step_started_at"], closed["step_due_at"]) == (None, None)
    board = officer.get("/api/v1/cases", {"mine": "true"}).json()
    assert [row["reported_by_me"] for row in board["items"]] == [True]


def test_board_filters_by_district_subtree_and_overdue(  # type: ignore[no-untyped-def]
    city: City, officer_a: Officer, commander: Officer, api_client
) -> None:
    command = api_client(commander)

    def report(district_id: object) -> str:
        answer = command.post(
            "/api/v1/cases", {"category_code": "E0401", "district_id": str(district_id)}
        )
        assert answer.status_code == 201, answer.content
        return str(answer.json()["public_id"])

    in_street_a = report(city.street_a.public_id)
    in_b = report(city.district_b.public_id)
    late = report(city.district_a.public_id)
    _act(command, late, action="register")
    _act(command, in_b, action="register")

    def board(**params: object) -> list[str]:
        answer = command.get("/api/v1/cases", params)
        assert answer.status_code == 200, answer.content
        return [row["public_id"] for row in answer.json()["items"]]

    assert set(board(district_id=city.district_a.public_id)) == {in_street_a, late}
    assert board(district_id=city.street_a.public_id) == [in_street_a]
    assert set(board()) == {in_street_a, in_b, late}
    assert board(overdue="true") == []  # the registered cases' dispatch clocks still run
    Case.objects.filter(public_id=late).update(step_due_at=timezone.now() - timedelta(minutes=1))
    assert board(overdue="true") == [late]
    assert board(overdue="true", district_id=city.district_b.public_id) == []
    # a closed or voided case is never overdue, whatever its stale due time says
    Case.objects.filter(public_id=late).update(status="voided")
    assert board(overdue="true") == []


def test_board_district_filter_is_scoped(city: City, officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    officer = api_client(officer_a)
    outside = officer.get("/api/v1/cases", {"district_id": str(city.district_b.public_id)})
    assert outside.status_code == 404
    assert "辖区" in outside.json()["message"]
    bad = officer.get("/api/v1/cases", {"district_id": "not-a-uuid", "overdue": "maybe"})
    assert bad.status_code == 422


def test_campaign_tiles_come_right_after_parking(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    tiles = api_client(officer_a).get("/api/v1/case-categories").json()
    assert [t["name"] for t in tiles[:7]] == [
        "违法停车",
        "占道经营",
        "店外经营",
        "流动摊贩",
        "非法小广告（乱贴乱画）",
        "不遵守交通规则",
        "低速电动车违规",
    ]


def test_a_parking_case_moves_only_with_its_parking_report(
    officer_a: Officer, leader_a: Officer, commander: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    report = make_report(officer_a)
    report.refresh_from_db()
    assert report.case is not None
    cid = str(report.case.public_id)
    before = (report.case.status, report.case.version)
    registered = _act(api_client(commander), cid, action="register")
    asked = api_client(leader_a).post(
        f"/api/v1/cases/{cid}/approvals",
        {"action": "void", "reason": "误报，车辆已离开"},
        content_type="application/json",
    )
    assert registered.status_code == 422, registered.content
    assert "违停上报" in registered.json()["message"]
    assert asked.status_code == 422, asked.content
    case = Case.objects.get(public_id=cid)
    assert (case.status, case.version) == before
    assert not CaseApproval.objects.filter(case=case).exists()


def test_the_board_counts_up_to_the_cap(
    city: City, officer_a: Officer, commander: Officer, api_client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from smartduty.kernel import pagination  # noqa: PLC0415

    client = api_client(officer_a)
    for n in range(3):
        client.post("/api/v1/cases", {"category_code": "E0402", "description": f"第{n}处"})
    board = api_client(commander)
    assert board.get("/api/v1/cases").json()["count"] == 3
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    page = board.get("/api/v1/cases?limit=1").json()
    assert page["count"] == 2  # stopped counting: the screen shows "2+"
    assert len(page["items"]) == 1
