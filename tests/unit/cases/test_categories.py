"""Categories and the working calendar as rows: shipped defaults, validation, the back office."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from smartduty.cases import selectors
from smartduty.cases.models import CalendarDay, CalendarDayKind, Category, Workflow
from smartduty.cases.workcalendar import LimitUnit
from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_the_seed_s_categories_ship_as_data() -> None:
    majors = Category.objects.filter(parent=None)
    assert set(majors.values_list("name", flat=True)) == {
        "市容环境",
        "宣传广告",
        "施工管理",
        "街面秩序",
        "突发事件",
        "其他事件",
    }
    by_name = {c.name: c for c in Category.objects.exclude(parent=None)}
    seed = ("占道经营", "店外经营", "非法小广告（乱贴乱画）", "不遵守交通规则", "低速电动车违规")
    assert set(seed) <= set(by_name)
    assert by_name["不遵守交通规则"].agency_kind == "jiaojing"
    assert by_name["非法小广告（乱贴乱画）"].agency_kind == "contractor"
    # the Jiyuan limits of domain.md §1.2
    assert by_name["违法搭建"].limit("handle") == (Decimal("15"), LimitUnit.WORK_DAYS)
    assert by_name["道路不洁"].limit("handle") == (Decimal("5"), LimitUnit.WORK_HOURS)
    # illegal parking is one category, first tile, run by the parking loop
    parking = by_name["违法停车"]
    assert parking.workflow == Workflow.PARKING
    assert selectors.list_categories().exclude(parent=None).first() == parking
    for category in Category.objects.all():
        category.full_clean()  # every shipped row passes the admin's own validation


def test_the_calendar_ships_with_2026_and_the_admin_s_rows_count() -> None:
    assert CalendarDay.objects.filter(kind=CalendarDayKind.HOLIDAY).count() == 33
    calendar = selectors.work_calendar()
    start = datetime(2026, 12, 30, 17, tzinfo=TZ)  # Wednesday
    assert calendar.deadline(start, 1, LimitUnit.WORK_DAYS) == datetime(2026, 12, 31, 17, tzinfo=TZ)
    # the city enters 31 December as a day off: the limit moves past it
    CalendarDay.objects.create(day=date(2026, 12, 31), kind=CalendarDayKind.HOLIDAY, name="测试")
    calendar = selectors.work_calendar()
    assert calendar.deadline(start, 1, LimitUnit.WORK_DAYS) == datetime(2027, 1, 1, 17, tzinfo=TZ)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("not a list", "须为列表"),
        ([{"name": "a b", "label": "x", "type": "text"}], "字段名无效"),
        ([{"name": "n", "label": "x", "type": "text"}] * 2, "重复"),
        ([{"name": "n", "label": " ", "type": "text"}], "缺少中文名称"),
        ([{"name": "n", "label": "x", "type": "html"}], "类型须为"),
        ([{"name": "n", "label": "x", "type": "choice"}], "须给出选项"),
        ([{"name": "n", "label": "x", "type": "text", "onload": "x"}], "未知属性"),
    ],
)
def test_bad_form_fields_are_refused_in_chinese(fields: object, message: str) -> None:
    category = Category.objects.get(code="E0401")
    category.form_fields = fields
    with pytest.raises(ValidationError, match=message):
        category.full_clean()


def test_codes_follow_their_parent() -> None:
    parent = Category.objects.get(code="E04")
    wrong = Category(code="E0599", name="错误", parent=parent, kind="event")
    with pytest.raises(ValidationError, match="须以大类编码 E04 开头"):
        wrong.full_clean()
    grandchild = Category(code="E0499", name="三级", parent=Category.objects.get(code="E0401"))
    grandchild.kind = "event"
    with pytest.raises(ValidationError, match="两级"):
        grandchild.full_clean()
    with pytest.raises(ValidationError, match="编码格式"):
        Category(code="=1+1", name="x", kind="event").full_clean()


def test_the_command_centre_edits_a_limit_in_the_back_office(commander: Officer) -> None:
    client = Client()
    client.force_login(commander.user)
    category = Category.objects.get(code="E0401")
    listing = client.get("/admin/cases/category/")
    assert listing.status_code == 200
    assert "占道经营" in listing.content.decode()
    page = client.get(f"/admin/cases/category/{category.pk}/change/")
    assert page.status_code == 200
    form = {
        "code": category.code,
        "name": category.name,
        "parent": category.parent_id,
        "kind": category.kind,
        "active": "on",
        "sort_order": category.sort_order,
        "agency_kind": category.agency_kind,
        "workflow": category.workflow,
        "duplicate_radius_m": 150,
        "dispatch_limit": "0.5",
        "dispatch_unit": "work_hours",
        "handle_limit": "3",
        "handle_unit": "work_hours",
        "verify_limit": "1",
        "verify_unit": "work_hours",
        "after_photo_required": "on",
        "verified_by": "supervisor",
        "form_fields": '[{"name": "stall_count", "label": "摊点数量", "type": "number"}]',
    }
    saved = client.post(f"/admin/cases/category/{category.pk}/change/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    category.refresh_from_db()
    assert (category.handle_limit, category.duplicate_radius_m) == (Decimal("3"), 150)
    assert AuditEntry.objects.filter(action="admin.change").exists()
    # and a limit below a quarter hour is refused with a message, nothing saved
    refused = client.post(
        f"/admin/cases/category/{category.pk}/change/", {**form, "handle_limit": "0"}
    )
    assert refused.status_code == 200
    category.refresh_from_db()
    assert category.handle_limit == Decimal("3")


def test_an_officer_sees_no_category_editor(officer_a: Officer) -> None:
    client = Client()
    client.force_login(officer_a.user)
    assert client.get("/admin/cases/category/").status_code in (302, 403)


def test_cases_in_the_back_office_are_scoped_and_read_only(
    officer_a: Officer, officer_b: Officer, commander: Officer, city: object
) -> None:
    from smartduty.org.states import Role  # noqa: PLC0415
    from tests.factories.cases import case_in_a  # noqa: PLC0415
    from tests.factories.org import make_officer  # noqa: PLC0415

    case = case_in_a(officer_a)
    command = Client()
    command.force_login(commander.user)
    listing = command.get("/admin/cases/case/")
    assert listing.status_code == 200
    assert case.number in listing.content.decode()
    page = command.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert "report" in page.content.decode()  # the timeline inline
    assert command.post(f"/admin/cases/case/{case.pk}/change/", {}).status_code == 403
    assert command.get("/admin/cases/caseapproval/").status_code == 200
    leader_b = make_officer(officer_b.unit, role=Role.SQUAD_LEADER, username="leader_b")
    other = Client()
    other.force_login(leader_b.user)
    assert case.number not in other.get("/admin/cases/case/").content.decode()
    assert other.get(f"/admin/cases/case/{case.pk}/change/").status_code in (302, 404)
    ledger = other.get("/admin/cases/caseapproval/")
    assert ledger.status_code == 200
    assert case.number not in ledger.content.decode()
