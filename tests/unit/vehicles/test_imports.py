"""Bulk vehicle import: CSV and XLSX, Chinese and English headers, the rejection report,
upserts, scoping, idempotency, and a 10,000-row file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartduty.kernel import timers
from smartduty.kernel.crypto import decrypt_text
from smartduty.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.models import AuditEntry, Timer, TimerStatus
from smartduty.org.models import District, Officer
from smartduty.org.services import principal_for_user
from smartduty.org.states import Role
from smartduty.vehicles import services, tasks
from smartduty.vehicles.models import ImportJob, Vehicle
from smartduty.vehicles.plates import PlateColor, PlateKind
from smartduty.vehicles.states import ImportStatus
from tests.factories.org import City, make_officer
from tests.factories.vehicles import HEADER_EN, csv_upload, make_vehicle, xlsx_upload

pytestmark = pytest.mark.django_db

Runner = Callable[..., ImportJob]


@pytest.fixture
def run_import(commander: Officer, django_capture_on_commit_callbacks: Any) -> Runner:
    """Start an import as the commander and run it the way production does (after commit)."""

    def run(
        upload: SimpleUploadedFile, district: District, officer: Officer = commander
    ) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            job = services.start_import(
                principal=principal_for_user(officer.user),
                actor=officer.user,
                district=district,
                uploaded_file=upload,
            )
        assert len(callbacks) == 1
        job.refresh_from_db()
        return job

    return run


def test_csv_import_with_rejection_report(city: City, run_import: Runner) -> None:
    existing = make_vehicle(city.district_a, plate="鲁A00001", owner_phone="13800000001")
    make_vehicle(city.district_b, plate="鲁B00001")
    rows = [
        ["鲁A00001", "更新车主", "13911112222", ""],  # 2: updates the existing vehicle
        ["鲁ａ００００２", "李四", "+86 139-0000-0002", "蓝"],  # 3: full-width, created
        ["鲁PI2345", "王五", "13900000003", ""],  # 4: I in the serial
        ["鲁A00004", "赵六", "12345", ""],  # 5: bad phone
        ["鲁A00005", "", "13900000005", ""],  # 6: missing name
        ["鲁A00002", "重复", "13900000006", ""],  # 7: duplicate of row 3
        ["", "", "", ""],  # 8: blank, skipped
        ["鲁AD12345", "孙七", "13900000008", "蓝"],  # 9: colour does not suit NEV
        ["鲁B00001", "钱八", "13900000009", ""],  # 10: registered in district B
        ["辽D46234F", "周九", "13900000010", "绿"],  # 11: NEV large, created
        ["", "吴十", "", ""],  # 12: missing plate and phone
    ]
    job = run_import(csv_upload(rows), city.district_a)

    assert job.status == ImportStatus.DONE
    assert (job.total_rows, job.processed_rows) == (10, 10)
    assert (job.created_count, job.updated_count, job.rejected_count) == (2, 1, 7)
    assert job.error == ""
    assert job.started_at is not None
    assert job.finished_at is not None
    assert [(r["row"], r["plate"]) for r in job.report] == [
        (4, "鲁PI2345"),
        (5, "鲁A00004"),
        (6, "鲁A00005"),
        (7, "鲁A00002"),
        (9, "鲁AD12345"),
        (10, "鲁B00001"),
        (12, ""),
    ]
    reasons = {r["row"]: r["reason"] for r in job.report}
    assert reasons[4] == "车牌号无效：车牌号序号中不能包含字母 I 或 O"
    assert "车主电话应为 11 位手机号码" in reasons[5]
    assert reasons[6] == "缺少车主姓名"
    assert reasons[7] == "文件中车牌重复（与第 3 行重复）"
    assert "号牌颜色与号牌种类不符" in reasons[9]
    assert reasons[10] == "该车牌已登记在其他辖区，不能通过本次导入修改"
    assert reasons[12] == "缺少车牌号；缺少车主电话"

    existing.refresh_from_db()
    assert existing.owner_name == "更新车主"
    assert decrypt_text(existing.owner_phone_encrypted) == "13911112222"
    created = Vehicle.objects.get(plate="鲁A00002")
    assert (created.district, created.owner_name) == (city.district_a, "李四")
    assert created.owner_phone_masked == "139****0002"
    nev = Vehicle.objects.get(plate="辽D46234F")
    assert (nev.plate_kind, nev.plate_color) == (PlateKind.NEV_LARGE, PlateColor.GREEN_LARGE)
    assert Vehicle.objects.get(plate="鲁B00001").owner_name == "张三"  # untouched


def test_xlsx_import_with_english_headers(city: City, run_import: Runner) -> None:
    rows: list[list[Any]] = [
        ["京AD12345", "Li Lei", 13900000001, "green"],  # the phone typed as a number
        ["沪A1234领", "Han Meimei", "13900000002", "black"],
        [None, None, None, None],  # blank
        ["粤Z1234港", "陈", 13900000003.0, None],
        ["鲁P1234挂", "刘", "13900000004", "blue"],  # trailers are yellow
    ]
    job = run_import(xlsx_upload(rows, header=HEADER_EN), city.street_a)

    assert job.status == ImportStatus.DONE
    assert (job.total_rows, job.created_count, job.updated_count, job.rejected_count) == (
        4,
        3,
        0,
        1,
    )
    assert job.report == [
        {
            "row": 6,
            "plate": "鲁P1234挂",
            "reason": "号牌颜色与号牌种类不符：挂车号牌不能为蓝牌",
        }
    ]
    vehicles = {v.plate: v for v in Vehicle.objects.all()}
    assert vehicles["京AD12345"].plate_color == PlateColor.GREEN_SMALL
    assert vehicles["沪A1234领"].plate_kind == PlateKind.CONSULATE
    assert decrypt_text(vehicles["粤Z1234港"].owner_phone_encrypted) == "13900000003"
    assert all(v.district == city.street_a for v in vehicles.values())


def test_gbk_csv_with_alternative_headers(city: City, run_import: Runner) -> None:
    upload = csv_upload(
        [["鲁A12345", "张三", "13900000001"]],
        header=("车牌号码", "车主", "手机号"),
        encoding="gbk",
    )
    job = run_import(upload, city.district_a)
    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)
    assert Vehicle.objects.get().owner_name == "张三"


def test_missing_column_fails_the_job(city: City, run_import: Runner) -> None:
    job = run_import(csv_upload([["鲁A12345", "张三"]], header=("车牌号", "姓名")), city.district_a)
    assert job.status == ImportStatus.FAILED
    assert job.error.startswith("文件缺少必需的列：车主电话")
    assert not Vehicle.objects.exists()


def test_corrupt_xlsx_fails_the_job(city: City, run_import: Runner) -> None:
    job = run_import(SimpleUploadedFile("坏文件.xlsx", b"not a zip"), city.district_a)
    assert job.status == ImportStatus.FAILED
    assert "无法读取 Excel 文件" in job.error


def test_upload_is_deleted_and_audited(city: City, commander: Officer, run_import: Runner) -> None:
    job = run_import(csv_upload([["鲁A12345", "张三", "13900000001"]]), city.district_a)
    assert job.file.name in ("", None)
    assert not default_storage.exists(f"vehicle-imports/{job.public_id}.csv")
    actions = list(
        AuditEntry.objects.filter(object_id=str(job.public_id)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["vehicles.import_finished", "vehicles.import_vehicles"]
    assert all("13900000001" not in repr(e.changes) for e in AuditEntry.objects.all())


def test_start_import_checks(city: City, officer_a: Officer) -> None:
    upload = csv_upload([["鲁A12345", "张三", "13900000001"]])
    with pytest.raises(PermissionDenied):
        services.start_import(
            principal=principal_for_user(officer_a.user),
            actor=officer_a.user,
            district=city.district_a,
            uploaded_file=upload,
        )
    command_a = make_officer(city.unit_a, role=Role.COMMAND)
    principal = principal_for_user(command_a.user)
    with pytest.raises(NotFound):
        services.start_import(
            principal=principal,
            actor=command_a.user,
            district=city.district_b,
            uploaded_file=upload,
        )
    with pytest.raises(ValidationFailed, match=r"仅支持 \.xlsx 或 \.csv 文件"):
        services.start_import(
            principal=principal,
            actor=command_a.user,
            district=city.district_a,
            uploaded_file=SimpleUploadedFile("list.xls", b"x"),
        )
    with pytest.raises(ValidationFailed, match="文件为空"):
        services.start_import(
            principal=principal,
            actor=command_a.user,
            district=city.district_a,
            uploaded_file=SimpleUploadedFile("list.csv", b""),
        )
    assert not ImportJob.objects.exists()


def test_import_is_idempotent(city: City, commander: Officer) -> None:
    job = services.start_import(  # not committed in this test: nothing runs yet
        principal=principal_for_user(commander.user),
        actor=commander.user,
        district=city.district_a,
        uploaded_file=csv_upload([["鲁A12345", "张三", "13900000001"]]),
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)  # a crashed run
    services.import_vehicles(job=job)
    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.DONE, 1, 0)
    services.import_vehicles(job=job)  # finished: left alone
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)
    tasks.import_vehicles.call(job.pk)
    tasks.import_vehicles.call(10**9)  # unknown job: no-op
    assert Vehicle.objects.count() == 1


def test_ten_thousand_rows(city: City, run_import: Runner) -> None:
    total = 10_000
    rows = [[f"鲁A{i:05d}", f"车主{i}", f"139{i:08d}", ""] for i in range(total)]
    rows[1234][2] = "bad-phone"
    rows[5678][0] = "鲁AI0000"
    rows[9999][0] = "鲁A00042"  # duplicate of the row with i == 42
    make_vehicle(city.district_a, plate="鲁A00007", owner_name="旧车主")
    with CaptureQueriesContext(connection) as queries:
        job = run_import(csv_upload(rows), city.district_a)

    assert job.status == ImportStatus.DONE
    assert (job.total_rows, job.processed_rows) == (total, total)
    assert (job.created_count, job.updated_count, job.rejected_count) == (total - 4, 1, 3)
    assert [r["row"] for r in job.report] == [1236, 5680, 10001]
    assert Vehicle.objects.count() == total - 3
    vehicle = Vehicle.objects.get(plate="鲁A00007")
    assert vehicle.owner_name == "车主7"
    assert decrypt_text(vehicle.owner_phone_encrypted) == "13900000007"
    assert Vehicle.objects.get(plate="鲁A09998").owner_phone_masked == "139****9998"
    progress_updates = [
        q for q in queries.captured_queries if 'UPDATE "vehicles_importjob"' in q["sql"]
    ]
    assert len(progress_updates) >= total // services.IMPORT_CHUNK_ROWS
    assert len(queries.captured_queries) < 400  # bulk writes, not one query per row


def _watch_timers(job: ImportJob) -> list[Timer]:
    return list(
        Timer.objects.filter(kind="vehicles.import_watch", subject_id=str(job.pk)).order_by("id")
    )


def _start(city: City, commander: Officer) -> ImportJob:
    return services.start_import(  # not committed in this test: the task is not run
        principal=principal_for_user(commander.user),
        actor=commander.user,
        district=city.district_a,
        uploaded_file=csv_upload([["鲁A12345", "张三", "13900000001"]]),
    )


def _fire_watch(at: datetime, capture: Any) -> None:
    with time_machine.travel(at, tick=False), capture(execute=True):
        assert timers.fire_next_due() is not None


def test_an_import_that_never_ran_is_queued_again_by_its_watch(
    city: City, commander: Officer, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(city, commander)  # e.g. the process died between commit and queueing
    [watch] = _watch_timers(job)
    assert watch.status == TimerStatus.PENDING
    assert (watch.due_at - job.created_at).total_seconds() == pytest.approx(120, abs=2)
    _fire_watch(watch.due_at + timedelta(seconds=1), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.restarts, job.created_count) == (ImportStatus.DONE, 1, 1)
    assert Vehicle.objects.filter(plate="鲁A12345").exists()
    later = _watch_timers(job)[-1]  # the next look finds it finished and stops
    _fire_watch(later.due_at + timedelta(seconds=1), django_capture_on_commit_callbacks)
    assert [t.status for t in _watch_timers(job)] == [TimerStatus.DONE, TimerStatus.DONE]


def test_a_running_import_with_recent_progress_is_left_alone(
    city: City, commander: Officer, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(city, commander)
    [watch] = _watch_timers(job)
    fired_at = watch.due_at + timedelta(seconds=1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, progress_at=fired_at - timedelta(seconds=30)
    )
    _fire_watch(fired_at, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.restarts) == (ImportStatus.RUNNING, 0)  # not queued twice
    assert len(_watch_timers(job)) == 2  # it looks again later


def test_an_import_that_keeps_dying_is_given_up_with_a_message(
    city: City, commander: Officer, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(city, commander)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, restarts=3)
    [watch] = _watch_timers(job)
    _fire_watch(watch.due_at + timedelta(seconds=1), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "中断 4 次" in job.error
    assert AuditEntry.objects.filter(action="vehicles.import_given_up").count() == 1
    assert len(_watch_timers(job)) == 1
