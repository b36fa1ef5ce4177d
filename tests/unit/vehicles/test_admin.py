"""Back office: masked phones, the audited reveal page, and imports with a progress page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer
from smartduty.org.states import Role
from smartduty.vehicles.models import ImportJob, Vehicle
from smartduty.vehicles.states import ImportStatus
from tests.factories.org import City, make_officer
from tests.factories.vehicles import csv_upload, make_vehicle

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
CHANGELIST = "/admin/vehicles/vehicle/"


@pytest.fixture
def root_client(db: Any) -> Client:
    """A logged-in superuser."""
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")
    client = Client()
    client.force_login(user)
    return client


def _logged_in(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.user)
    return client


def test_changelist_shows_masked_phone_only(city: City, root_client: Client) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    html = root_client.get(CHANGELIST).content.decode()
    assert "138****5678" in html
    assert PHONE not in html
    assert vehicle.owner_phone_encrypted not in html
    assert reverse("admin:vehicles_vehicle_reveal_phone", args=[vehicle.pk]) in html
    assert "查看号码" in html
    assert "导入车辆" in html


def test_change_form_never_shows_the_phone(city: City, root_client: Client) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    resp = root_client.get(reverse("admin:vehicles_vehicle_change", args=[vehicle.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "138****5678" in html
    assert PHONE not in html
    assert "owner_phone_encrypted" not in html


def test_search_normalises_plates(city: City, root_client: Client) -> None:
    make_vehicle(city.district_a, plate="鲁A12345")
    html = root_client.get(CHANGELIST, {"q": "鲁ａ·12"}).content.decode()
    assert "鲁A12345" in html


def test_add_and_change_through_the_form(city: City, root_client: Client) -> None:
    add = root_client.post(
        reverse("admin:vehicles_vehicle_add"),
        {
            "district": city.district_a.pk,
            "plate": "京ａｄ12345",
            "plate_color": "",
            "owner_name": "张三",
            "owner_phone": PHONE,
        },
    )
    assert add.status_code == 302, add.content.decode()
    vehicle = Vehicle.objects.get()
    assert (vehicle.plate, vehicle.plate_color) == ("京AD12345", "green_small")
    assert vehicle.owner_phone_masked == "138****5678"

    change = root_client.post(
        reverse("admin:vehicles_vehicle_change", args=[vehicle.pk]),
        {
            "district": city.district_a.pk,
            "plate_color": "green_small",
            "owner_name": "李四",
            "owner_phone": "",
        },
    )
    assert change.status_code == 302, change.content.decode()
    vehicle.refresh_from_db()
    assert (vehicle.owner_name, vehicle.owner_phone_masked) == ("李四", "138****5678")
    entries = AuditEntry.objects.filter(action__in=("admin.add", "admin.change"))
    assert entries.count() == 2
    assert all(PHONE not in repr(e.changes) for e in entries)

    bad = root_client.post(
        reverse("admin:vehicles_vehicle_add"),
        {
            "district": city.district_a.pk,
            "plate": "鲁PI2345",
            "owner_name": "王五",
            "owner_phone": "123",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "车牌号序号中不能包含字母 I 或 O" in html
    assert "手机号码" in html


def test_reveal_view_asks_for_reason_then_shows_once(city: City, root_client: Client) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    url = reverse("admin:vehicles_vehicle_reveal_phone", args=[vehicle.pk])

    form = root_client.get(url)
    assert form.status_code == 200
    assert "查看事由" in form.content.decode()
    assert PHONE not in form.content.decode()

    short = root_client.post(url, {"reason": "看看"})
    assert PHONE not in short.content.decode()
    assert "至少 4 个字" in short.content.decode()
    assert not AuditEntry.objects.filter(action="vehicles.reveal_owner_phone").exists()

    shown = root_client.post(url, {"reason": "车辆堵塞消防通道，电话联系挪车"})
    assert shown.status_code == 200
    assert PHONE in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    entry = AuditEntry.objects.get(action="vehicles.reveal_owner_phone")
    assert entry.reason == "车辆堵塞消防通道，电话联系挪车"
    assert entry.actor_name == "root"


def test_reveal_view_is_scoped_and_needs_permission(city: City, leader_a: Officer) -> None:
    vehicle_b = make_vehicle(city.district_b, owner_phone=PHONE)
    vehicle_a = make_vehicle(city.district_a, plate="鲁A00999")
    leader = _logged_in(leader_a)
    reveal_b = reverse("admin:vehicles_vehicle_reveal_phone", args=[vehicle_b.pk])
    assert leader.get(reveal_b).status_code == 404
    html = leader.get(CHANGELIST).content.decode()
    assert vehicle_a.plate in html
    assert vehicle_b.plate not in html
    assert "查看号码" in html
    assert "导入车辆" not in html  # a 中队长 may not import

    officer = make_officer(city.unit_a, role=Role.OFFICER)  # may view, may not reveal
    officer.user.is_staff = True
    officer.user.save(update_fields=["is_staff"])
    client = _logged_in(officer)
    html = client.get(CHANGELIST).content.decode()
    assert vehicle_a.plate in html
    assert "查看号码" not in html
    reveal_a = reverse("admin:vehicles_vehicle_reveal_phone", args=[vehicle_a.pk])
    assert client.get(reveal_a).status_code == 403
    assert client.post(reveal_a, {"reason": "联系车主挪车"}).status_code == 403
    assert not AuditEntry.objects.filter(action="vehicles.reveal_owner_phone").exists()


def test_import_view_creates_job_and_shows_report(
    city: City, commander: Officer, django_capture_on_commit_callbacks: Any
) -> None:
    client = _logged_in(commander)
    page = client.get(reverse("admin:vehicles_vehicle_import"))
    assert page.status_code == 200
    assert "开始导入" in page.content.decode()

    upload = csv_upload([["鲁A12345", "张三", PHONE], ["鲁PI2345", "李四", PHONE]])
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("admin:vehicles_vehicle_import"),
            {"district": city.district_a.pk, "file": upload},
        )
    job = ImportJob.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == reverse("admin:vehicles_importjob_change", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE

    detail = client.get(resp["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "<progress" in html
    assert "拒绝明细（1 行）" in html
    assert "车牌号序号中不能包含字母 I 或 O" in html
    assert PHONE not in html

    progress = client.get(reverse("admin:vehicles_importjob_progress", args=[job.pk])).json()
    assert progress["status"] == "done"
    assert progress["percent"] == 100
    assert progress["is_finished"] is True
    assert (progress["created_count"], progress["rejected_count"]) == (1, 1)

    report = client.get(reverse("admin:vehicles_importjob_report", args=[job.pk]))
    text = report.content.decode("utf-8-sig")
    assert report["Content-Type"].startswith("text/csv")
    assert "行号,车牌号,原因" in text
    assert "3,鲁PI2345," in text


def test_running_job_page_polls(city: City, commander: Officer, root_client: Client) -> None:
    job = ImportJob.objects.create(
        district=city.district_a,
        original_filename="清单.csv",
        status=ImportStatus.RUNNING,
        total_rows=1000,
        processed_rows=500,
    )
    html = root_client.get(
        reverse("admin:vehicles_importjob_change", args=[job.pk])
    ).content.decode()
    assert 'value="50"' in html
    assert reverse("admin:vehicles_importjob_progress", args=[job.pk]) in html
    assert 'http-equiv="refresh"' in html
    progress = root_client.get(reverse("admin:vehicles_importjob_progress", args=[job.pk])).json()
    assert (progress["percent"], progress["is_finished"]) == (50, False)


def test_import_needs_permission_and_jobs_are_scoped(
    city: City, leader_a: Officer, commander: Officer
) -> None:
    assert _logged_in(leader_a).get(reverse("admin:vehicles_vehicle_import")).status_code == 403
    job_b = ImportJob.objects.create(district=city.district_b, original_filename="b.csv")
    detail = reverse("admin:vehicles_importjob_change", args=[job_b.pk])
    progress = reverse("admin:vehicles_importjob_progress", args=[job_b.pk])
    report = reverse("admin:vehicles_importjob_report", args=[job_b.pk])
    city_level = _logged_in(commander)
    assert city_level.get(detail).status_code == 200
    assert city_level.get(progress).status_code == 200
    district_a = _logged_in(make_officer(city.unit_a, role=Role.COMMAND))
    assert district_a.get(detail).status_code == 404
    assert district_a.get(progress).status_code == 404
    assert district_a.get(report).status_code == 404
    assert "b.csv" not in district_a.get("/admin/vehicles/importjob/").content.decode()
