"""Bulk vehicle import from .xlsx/.csv: the job row, and the background run.

`start_import` stores the file and creates the `ImportJob` in one transaction; after commit
the task in `tasks.py` calls `import_vehicles`, which validates row by row, upserts by plate
in chunks of `IMPORT_CHUNK_ROWS` (each chunk its own transaction, so the progress counters
are visible to other requests while it runs), and writes a rejection report.

The same transaction schedules a durable `vehicles.import_watch` timer. Every
`IMPORT_WATCH_SECONDS` it looks at the job: finished → nothing; no progress for that long
(the worker was killed mid-import, or the process died between the commit and queueing the
task) → the job is queued again (rows are upserted, so a rerun is safe), at most
`MAX_IMPORT_RESTARTS` times, then failed with a message saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any, Final, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit, timers
from smartduty.kernel.crypto import encrypt_text, mask_phone
from smartduty.kernel.errors import (
    DomainError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
)
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District
from smartduty.vehicles.events import import_job_created, import_job_requeued
from smartduty.vehicles.models import ImportJob, Vehicle
from smartduty.vehicles.phones import normalize_mobile
from smartduty.vehicles.plates import parse_plate, resolve_color
from smartduty.vehicles.selectors import map_plates_to_district_paths
from smartduty.vehicles.services.vehicles import clean_owner_name
from smartduty.vehicles.sheets import (
    SUPPORTED_SUFFIXES,
    ImportFileError,
    SheetRow,
    read_rows,
    suffix_of,
)
from smartduty.vehicles.states import TERMINAL, ImportStatus

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

IMPORT_PERMISSION: Final = "vehicles.import_vehicles"
MAX_IMPORT_BYTES: Final = 20 * 1024 * 1024
MAX_IMPORT_ROWS: Final = 100_000
IMPORT_CHUNK_ROWS: Final = 500
MAX_REPORT_ROWS: Final = 20_000
IMPORT_WATCH: Final = "vehicles.import_watch"
IMPORT_WATCH_SECONDS: Final = 120
"""How long an open import may go without progress before it is queued again."""
MAX_IMPORT_RESTARTS: Final = 3
_UPSERT_FIELDS: Final = [
    "plate_kind",
    "plate_color",
    "owner_name",
    "owner_phone_encrypted",
    "owner_phone_masked",
    "updated_at",
]


def start_import(
    *,
    principal: Principal,
    actor: User | AnonymousUser | None,
    district: District,
    uploaded_file: UploadedFile,
) -> ImportJob:
    """Accept an .xlsx/.csv upload for a district and queue its import (after commit)."""
    if not principal.covers(district.path):
        raise NotFound("未找到该辖区，或不在您的辖区范围内")
    if not principal.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied("您没有批量导入车辆的权限")
    filename = PurePath(uploaded_file.name or "").name
    if suffix_of(filename) not in SUPPORTED_SUFFIXES:
        raise ValidationFailed("仅支持 .xlsx 或 .csv 文件")
    size = uploaded_file.size or 0
    if size == 0:
        raise ValidationFailed("上传的文件为空")
    if size > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"导入文件过大：最大 {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    job = ImportJob(
        district=district,
        uploaded_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
        original_filename=filename[:255],
    )
    job.file.save(filename, uploaded_file, save=False)
    try:
        with transaction.atomic():
            job.full_clean()
            job.save()
            audit.record(
                actor=actor,
                action="vehicles.import_vehicles",
                obj=job,
                district_path=district.path,
                changes={"filename": job.original_filename, "size": size},
            )
            import_job_created.send(sender=ImportJob, job=job)
            _schedule_watch(job)
    except BaseException:
        job.file.delete(save=False)
        raise
    return job


def _schedule_watch(job: ImportJob) -> None:
    due = timezone.now() + timedelta(seconds=IMPORT_WATCH_SECONDS)
    timers.schedule(
        kind=IMPORT_WATCH,
        subject_type="vehicles.importjob",
        subject_id=str(job.pk),
        due_at=due,
        dedupe_key=f"{IMPORT_WATCH}:{job.pk}:{due.timestamp():.0f}",
    )


def watch_import(*, job_id: int) -> None:
    """Timer handler body: requeue a stalled import, give up after `MAX_IMPORT_RESTARTS`.

    Runs in the timer's transaction; the requeued task is sent after it commits.
    """
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status in TERMINAL:
        return
    now = timezone.now()
    last = job.progress_at or job.started_at or job.created_at
    if now - last < timedelta(seconds=IMPORT_WATCH_SECONDS):
        _schedule_watch(job)  # still moving (or just queued): look again later
        return
    if job.restarts >= MAX_IMPORT_RESTARTS:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            finished_at=now,
            error=(
                f"导入已中断 {job.restarts + 1} 次，系统停止重试；已处理的行已保存，"
                "请检查后台服务后重新上传"
            ),
        )
        audit.record(
            actor=None,
            action="vehicles.import_given_up",
            obj=job,
            district_path=job.district.path,
            changes={"restarts": job.restarts},
        )
        logger.error("vehicle import %s given up after %s restarts", job.public_id, job.restarts)
        return
    ImportJob.objects.filter(pk=job.pk).update(restarts=job.restarts + 1)
    logger.warning(
        "vehicle import %s stalled in %s since %s; queued again", job.public_id, job.status, last
    )
    import_job_requeued.send(sender=ImportJob, job=job)
    _schedule_watch(job)


class _Rejected(Exception):
    """A row that cannot be imported, with the reasons for the report."""

    def __init__(self, reason: str, plate: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.plate = plate


@dataclass
class _Run:
    """Mutable state of one import run."""

    district_id: int
    district_path: str
    seen: dict[str, int] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    processed: int = 0

    def reject(self, row: SheetRow, plate: str, reason: str) -> None:
        self.rejections.append({"row": row.number, "plate": plate, "reason": reason})

    def counters(self) -> dict[str, int]:
        return {
            "processed_rows": self.processed,
            "created_count": self.created,
            "updated_count": self.updated,
            "rejected_count": len(self.rejections),
        }


def import_vehicles(*, job: ImportJob) -> ImportJob:
    """Run an import job. Idempotent: a finished job is left alone, an interrupted one restarts
    (rows are upserted by plate). Must not run inside a transaction, or progress is invisible.
    """
    if not _claim(job):
        return job
    run = _Run(district_id=job.district_id, district_path=job.district.path)
    try:
        rows = _read(job)
    except ImportFileError as exc:
        return _finish(job, run, status=ImportStatus.FAILED, error=exc.message)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows))
    try:
        for start in range(0, len(rows), IMPORT_CHUNK_ROWS):
            with transaction.atomic():
                _import_chunk(rows[start : start + IMPORT_CHUNK_ROWS], run)
                ImportJob.objects.filter(pk=job.pk).update(
                    progress_at=timezone.now(), **run.counters()
                )
    except Exception:
        logger.exception("vehicle import %s failed", job.public_id)
        _finish(
            job,
            run,
            status=ImportStatus.FAILED,
            error="导入过程中发生内部错误，已处理的行已保存；请联系系统管理员后重新导入",
            keep_file=True,
        )
        raise
    return _finish(job, run, status=ImportStatus.DONE)


def _claim(job: ImportJob) -> bool:
    with transaction.atomic():
        current = ImportJob.objects.select_for_update().get(pk=job.pk)
        if current.status in TERMINAL:
            job.refresh_from_db()
            return False
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.RUNNING,
            started_at=timezone.now(),
            progress_at=timezone.now(),
            finished_at=None,
            total_rows=0,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            rejected_count=0,
            report=[],
            error="",
        )
    job.refresh_from_db()
    return True


def _read(job: ImportJob) -> list[SheetRow]:
    if not job.file:
        raise ImportFileError("导入文件已不存在，请重新上传")
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise ImportFileError("导入文件已不存在，请重新上传") from exc
    return read_rows(content, filename=job.original_filename, max_rows=MAX_IMPORT_ROWS)


def _attempt(problems: list[str], check: Callable[[], _T], prefix: str = "") -> _T | None:
    """Run one validation; on a domain error note its message and return None."""
    try:
        return check()
    except DomainError as exc:
        problems.append(prefix + exc.message)
        return None


def _build(row: SheetRow, run: _Run, now: datetime) -> Vehicle:
    """A validated, unsaved Vehicle for one row, or `_Rejected` naming every problem found."""
    problems: list[str] = []
    for label, value in (
        ("车牌号", row.plate),
        ("车主姓名", row.owner_name),
        ("车主电话", row.owner_phone),
    ):
        if not value.strip():
            problems.append(f"缺少{label}")
    info = (
        _attempt(problems, lambda: parse_plate(row.plate), "车牌号无效：")
        if row.plate.strip()
        else None
    )
    plate_text = info.text if info is not None else row.plate.strip()
    name = (
        _attempt(problems, lambda: clean_owner_name(row.owner_name))
        if row.owner_name.strip()
        else None
    )
    phone = (
        _attempt(problems, lambda: normalize_mobile(row.owner_phone))
        if row.owner_phone.strip()
        else None
    )
    color = (
        _attempt(problems, lambda: resolve_color(row.color, info.kind))
        if info is not None
        else None
    )
    if info is not None and not problems and info.text in run.seen:
        problems.append(f"文件中车牌重复（与第 {run.seen[info.text]} 行重复）")
    if problems or info is None or name is None or phone is None or color is None:
        raise _Rejected("；".join(problems), plate_text)
    vehicle = Vehicle(
        district_id=run.district_id,
        plate=info.text,
        plate_kind=info.kind,
        plate_color=color,
        owner_name=name,
        owner_phone_encrypted=encrypt_text(phone),
        owner_phone_masked=mask_phone(phone),
        created_at=now,
        updated_at=now,
    )
    try:
        vehicle.clean_fields(exclude=["district"])
    except ValidationError as exc:
        raise _Rejected("；".join(exc.messages), plate_text) from exc
    return vehicle


def _import_chunk(rows: list[SheetRow], run: _Run) -> None:
    now = timezone.now()
    accepted: list[tuple[SheetRow, Vehicle]] = []
    for row in rows:
        try:
            vehicle = _build(row, run, now)
        except _Rejected as rejected:
            run.reject(row, rejected.plate, rejected.reason)
            continue
        run.seen[vehicle.plate] = row.number
        accepted.append((row, vehicle))
    existing = map_plates_to_district_paths(plates=[v.plate for _, v in accepted])
    to_save: list[Vehicle] = []
    for row, vehicle in accepted:
        path = existing.get(vehicle.plate)
        if path is not None and not path.startswith(run.district_path):
            run.reject(row, vehicle.plate, "该车牌已登记在其他辖区，不能通过本次导入修改")
            continue
        to_save.append(vehicle)
        if path is None:
            run.created += 1
        else:
            run.updated += 1
    if to_save:
        Vehicle.objects.bulk_create(
            to_save,
            update_conflicts=True,
            unique_fields=["plate"],
            update_fields=_UPSERT_FIELDS,
        )
    run.processed += len(rows)


def _finish(
    job: ImportJob,
    run: _Run,
    *,
    status: ImportStatus,
    error: str = "",
    keep_file: bool = False,
) -> ImportJob:
    report = sorted(run.rejections, key=lambda item: int(item["row"]))[:MAX_REPORT_ROWS]
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            status=status,
            finished_at=timezone.now(),
            report=report,
            error=error,
            **run.counters(),
        )
        job.refresh_from_db()
        audit.record(
            actor=job.uploaded_by,
            action="vehicles.import_finished",
            obj=job,
            district_path=run.district_path,
            changes={"status": status.value, **run.counters()},
        )
    if not keep_file and job.file:
        # The upload holds plain phone numbers: keep it no longer than needed.
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
    logger.info(
        "vehicle import %s %s: %d created, %d updated, %d rejected",
        job.public_id,
        status.value,
        run.created,
        run.updated,
        len(run.rejections),
    )
    return job
