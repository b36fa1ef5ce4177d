"""Parking use cases: report, confirm plate, notify owner, deadline, re-check, notice, close.

Every status change goes through `transition()`, which locks the row, checks the version and
the transition table (`states.ALLOWED`), appends a `ParkingTransition`, moves the report's case
row on the case core (`states.CASE_STATUS`, `cases.services.follow`), and — in the same
transaction — schedules or cancels the move deadline and queues messages in the outbox. Photo
preparation lives in `photos`, the owner number's retention in `retention`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from smartduty.cases import services as cases
from smartduty.cases.models import Workflow
from smartduty.evidence import services as evidence
from smartduty.evidence.states import PhotoKind
from smartduty.kernel import fsm, timers
from smartduty.kernel.checks import check_fields
from smartduty.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.notifications import services as outbox
from smartduty.notifications.ports import Channel
from smartduty.notifications.templates import APP_NOTICE
from smartduty.org.models import District, Officer
from smartduty.org.selectors import Actor, actor_name
from smartduty.parking import owner_sms, photos
from smartduty.parking.models import NoticeSequence, ParkingNotice, ParkingReport, ParkingTransition
from smartduty.parking.retention import retention, schedule_contact_erasure
from smartduty.parking.selectors import (
    find_open_report_for_plate,
    find_report_by_idempotency_key,
    may_post_notice_now,
)
from smartduty.parking.states import (
    ALLOWED,
    CASE_STATUS,
    SUBJECT,
    SYSTEM_ACTIONS,
    TERMINAL,
    Action,
    RecheckOutcome,
    Status,
)
from smartduty.policy.selectors import get_effective_policy
from smartduty.vehicles.plates import PlateInfo, normalize_plate, parse_plate
from smartduty.vehicles.ports import OwnerContact
from smartduty.vehicles.selectors import get_owner_lookup

MOVE_DEADLINE = "parking.move_deadline"
RECHECK_DISTANCE_WARN_M = 50.0


def transition(
    report: ParkingReport,
    action: Action,
    *,
    actor: Actor,
    reason: str = "",
    expected_version: int | None = None,
    changes: dict[str, Any] | None = None,
    held: bool = False,
) -> ParkingReport:
    """Move a report along `states.ALLOWED`; the one place that changes `status`.

    Side effects in the same transaction: the move deadline is scheduled on entering
    `awaiting_move` and cancelled on leaving it; entering a final state schedules the erasure
    of the owner's phone number (`retention()` later); the transition is logged, and the
    report's case row follows (`states.CASE_STATUS`; the move deadline is its handling due time).

    `held=True`: the caller read `report` with a row lock (or created it) in the current
    transaction, so it is not read again.

    Inside the caller's transaction no savepoint is made (two statements less per step): a
    refusal is raised before anything was written and leaves that transaction usable, any
    other error fails it as a whole.
    """
    joined = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if joined else transaction.atomic():
        if action == Action.POST_NOTICE:  # the table's one guarded move (`may_post_notice_now`)
            if not held:  # lock once here; apply_transition takes the locked row
                report, held = _locked(report), True
            if not may_post_notice_now(report):
                raise fsm.InvalidTransition(EARLY_NOTICE)
        step = fsm.apply_transition(
            ParkingReport,
            report.pk,
            action,
            allowed=ALLOWED,
            expected_version=expected_version,
            changes=changes,
            locked=report if held else None,
        )
        obj = step.obj
        ParkingTransition.objects.create(
            report=obj,
            action=action,
            from_status=step.from_status,
            to_status=step.to_status,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=actor_name(actor),
            reason=reason[:200],
        )
        if obj.case_id is not None:
            cases.follow(
                obj.case_id,
                CASE_STATUS[Status(step.to_status)],
                action=action,
                actor=actor,
                reason=reason,
                due_at=obj.deadline_at if step.to_status == Status.AWAITING_MOVE else None,
                duplicate_of_id=obj.duplicate_of.case_id if obj.duplicate_of else None,
            )
        if step.from_status == Status.AWAITING_MOVE:
            timers.cancel(kind=MOVE_DEADLINE, subject_type=SUBJECT, subject_id=str(obj.pk))
            owner_sms.on_leave_awaiting_move(
                report_id=obj.pk, to_status=step.to_status, owner_notified_at=obj.owner_notified_at
            )
        if step.to_status == Status.AWAITING_MOVE:
            assert obj.deadline_at is not None  # noqa: S101 - set by notify_owner's changes
            timers.schedule(
                kind=MOVE_DEADLINE,
                subject_type=SUBJECT,
                subject_id=str(obj.pk),
                due_at=obj.deadline_at,
                dedupe_key=f"{MOVE_DEADLINE}:{obj.pk}",
                policy_version=obj.policy_version,
            )
        if step.to_status in TERMINAL:
            schedule_contact_erasure(report_id=obj.pk, due_at=timezone.now() + retention())
    return obj


EARLY_NOTICE = "挪车时限未到：短信未被报告为未送达，请等待时限结束后复查"


def _locked(report: ParkingReport) -> ParkingReport:
    return (
        ParkingReport.objects.select_for_update(of=("self",))
        .select_related("district")
        .get(pk=report.pk)
    )


@dataclass(frozen=True)
class ReportResult:
    """A created report and whether it was new (False: the idempotency key was seen before)."""

    report: ParkingReport
    created: bool


def report_illegal_parking(
    *,
    principal: Principal,
    officer: Officer,
    district: District,
    photo: bytes | IO[bytes],
    filename: str,
    plate: str = "",
    plate_read: str = "",
    plate_confidence: float | None = None,
    place: str = "",
    lat: float | None = None,
    lon: float | None = None,
    accuracy_m: float | None = None,
    idempotency_key: str | None = None,
    captured_at: datetime | None = None,
) -> ReportResult:
    """Create a report from a photo. With a confirmed `plate`, the owner is notified at once.

    The same `idempotency_key` (an offline phone retrying) returns the first report unchanged.
    `captured_at` is when the phone took the photo (a report queued offline is sent later); it
    may not lie in the future nor more than `MAX_CAPTURE_AGE` in the past.

    In this order, each step only for a request that passed the ones before: (1) the capture
    time, the permission to report, the replayed report (an officer's own first answer) and
    the plate typed; (2-3) the photo in one pass (`photos.prepare_report_photo`: evidence's
    permission, the district's scope and the upload limits, one decode shared by the plate
    reader and the display copy, the files); (4) the reads that may be slow (the owner's
    contact, the grid); (5) one short write transaction (ADR 0007).
    """
    photos.check_capture_time(captured_at)
    if not principal.has_perm("parking.report_parking"):
        raise PermissionDenied("您没有上报违停的权限")
    if idempotency_key:
        existing = find_report_by_idempotency_key(key=idempotency_key)
        if existing is not None:
            if existing.reported_by_id != officer.pk:
                raise ValidationFailed("幂等键已被其他人员使用")
            return ReportResult(existing, created=False)
    info = parse_plate(plate) if plate else None
    read = normalize_plate(plate_read) if plate_read else ""
    ready = photos.prepare_report_photo(
        principal=principal,
        officer=officer,
        district=district,
        photo=photo,
        filename=filename,
        place=place,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy_m,
        read_plate=not plate and not read and settings.PARKING_RECOGNIZE_ON_UPLOAD,
    )
    if ready.reading is not None:  # the reader's text is a normalised plate
        read, plate_confidence = ready.reading
    contact = get_owner_lookup().lookup(info.text) if info is not None else None
    actor = _user_of(officer)
    category = cases.followed_category(Workflow.PARKING)
    facts = ready.prepared.facts
    lat = lat if lat is not None else facts.lat  # else the camera's point (EXIF)
    lon = lon if lon is not None else facts.lon
    grid = cases.grid_for(district, lat, lon) if category is not None else None
    try:
        with transaction.atomic():
            stored = evidence.save_prepared_photo(ready.prepared, ready.files)
            report = ParkingReport(
                district=district,
                unit=officer.unit,
                reported_by=officer,
                idempotency_key=idempotency_key or None,
                plate_read=read,
                plate_confidence=plate_confidence,
                place=place.strip()[:60],
                lat=lat,
                lon=lon,
                accuracy_m=accuracy_m,
                photo=stored,
                captured_at=captured_at,
            )
            if category is not None:  # the report is a case of 违法停车 on the case core
                report.case = cases.open_followed(
                    category=category,
                    district=district,
                    unit=officer.unit,
                    actor=actor,
                    place=report.place,
                    lat=report.lat,
                    lon=report.lon,
                    photo=stored,
                    grid=grid,
                    at=report.created_at,
                    reason="违停拍照上报",
                )
            check_fields(report)  # the ids are generated, the idempotency key looked up
            report.save()
            ParkingTransition.objects.create(
                report=report,
                action="report",
                to_status=Status.REPORTED,
                actor=actor,
                actor_name=actor_name(actor),
                reason="拍照上报",
            )
            if info is not None:
                report = _start_owner_contact(report, info=info, contact=contact, actor=actor)
    except IntegrityError:
        # two tries of one offline report raced past the look-up above; the first one won
        existing = find_report_by_idempotency_key(key=idempotency_key) if idempotency_key else None
        if existing is None or existing.reported_by_id != officer.pk:
            raise
        return ReportResult(existing, created=False)
    return ReportResult(report, created=True)


def _user_of(officer: Officer) -> User:
    return officer.user


def confirm_plate(
    *,
    principal: Principal,
    actor: Actor,
    report: ParkingReport,
    plate: str,
    place: str | None = None,
    expected_version: int | None = None,
) -> ParkingReport:
    """Fix the plate (flagged when it differs from the reading) and start the owner contact.

    `place` replaces the place name typed at upload time (the officer may correct it here).

    Same plate with an open report inside the duplicate window → `duplicate` (no second SMS);
    no registry entry → `owner_unknown`; otherwise the owner SMS is queued and the deadline set.
    """
    if not principal.covers(report.district.path):
        raise NotFound()
    info = parse_plate(plate)
    _check_plate_step(report, expected_version)  # before the look-up; again under the lock
    contact = get_owner_lookup().lookup(info.text)  # a port: no write lock held while it runs
    with transaction.atomic():
        locked = (
            ParkingReport.objects.select_for_update().select_related("district").get(pk=report.pk)
        )
        _check_plate_step(locked, expected_version)
        new_place = (place or "").strip()[:60]
        if new_place:
            locked.place = new_place
        return _start_owner_contact(
            locked, info=info, contact=contact, actor=actor, place_changed=bool(new_place)
        )


def _check_plate_step(report: ParkingReport, expected_version: int | None) -> None:
    if report.status != Status.REPORTED:
        raise fsm.InvalidTransition("车牌只能在上报后、通知车主前确认")
    if expected_version is not None and report.version != expected_version:
        raise Conflict(f"记录已被他人修改（当前版本 {report.version}），请刷新后重试")


def _start_owner_contact(
    locked: ParkingReport,
    *,
    info: PlateInfo,
    contact: OwnerContact | None,
    actor: Actor,
    place_changed: bool = False,
) -> ParkingReport:
    """Duplicate, owner unknown, no SMS by policy, or text the owner and set the deadline.

    The district's policy (`owner_sms.plan_owner_sms`) may defer the SMS to the end of quiet
    hours (the deadline then counts from the send time) or send none (quiet hours in the
    `notice` mode, a daily cap reached: `skip_owner_sms`, the officer posts the notice).

    `locked` is a `reported` report held with a row lock (or created) in the caller's
    transaction, with its district loaded; `contact` is what the owner look-up answered for
    `info`, asked before that transaction.
    """
    edited = bool(locked.plate_read) and locked.plate_read != info.text
    policy = get_effective_policy(district=locked.district)
    since = timezone.now() - timedelta(seconds=policy.duplicate_window_seconds)
    original = find_open_report_for_plate(plate=info.text, since=since, exclude_pk=locked.pk)
    base: dict[str, Any] = {
        "plate": info.text,
        "is_plate_edited": edited or not locked.plate_read,
    }
    if place_changed:
        base["place"] = locked.place
    if original is not None:
        return transition(
            locked,
            Action.MARK_DUPLICATE,
            actor=actor,
            reason=f"与 {original.created_at:%H:%M} 的上报重复，未再次发送短信",
            changes={**base, "duplicate_of": original},
            held=True,
        )
    if contact is None:
        return transition(
            locked,
            Action.MARK_OWNER_UNKNOWN,
            actor=actor,
            reason="车辆登记库中无此车牌，请直接张贴提示单",
            changes=base,
            held=True,
        )
    plan = owner_sms.plan_owner_sms(
        report=locked, policy=policy, contact=contact, now=timezone.now()
    )
    if isinstance(plan, owner_sms.Skip):
        return transition(
            locked, Action.SKIP_OWNER_SMS, actor=actor, reason=plan.reason, changes=base, held=True
        )
    moved = transition(
        locked,
        Action.NOTIFY_OWNER,
        actor=actor,
        reason=plan.reason,
        changes={
            **base,
            "owner_notified_at": plan.send_at,
            "deadline_at": plan.deadline_at,
            "policy_version": policy.version or None,
            "move_window_seconds": policy.move_window_seconds,
        },
        held=True,
    )
    owner_sms.queue_owner_sms(report=moved, policy=policy, contact=contact, plan=plan)
    return moved


def handle_move_deadline(*, report_id: int) -> None:
    """Timer handler body: the window passed; ask the reporting unit for a re-check.

    Idempotent: a report that already left `awaiting_move` is left alone.
    """
    with transaction.atomic():
        report = ParkingReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status != Status.AWAITING_MOVE:
            return
        report = transition(
            report, Action.DEADLINE_LAPSED, actor=None, reason="挪车时限已到，请复查"
        )
        outbox.request(
            channel=Channel.APP_PUSH,
            address=str(report.unit.public_id),
            template_code=APP_NOTICE,
            params={
                "title": "违停待复查",
                "body": f"{report.plate} {(report.place or report.district.name)[:12]} 时限已到",
            },
            signature="智慧勤务",
            subject_type=SUBJECT,
            subject_id=str(report.pk),
            dedupe_key=f"parking:{report.pk}:recheck_due",
        )


def apply_officer_action(
    *,
    principal: Principal,
    actor: Actor,
    report: ParkingReport,
    action: Action,
    reason: str = "",
    expected_version: int | None = None,
) -> ParkingReport:
    """Transitions requested by people (confirm moved, void). System actions are refused."""
    if action in SYSTEM_ACTIONS:
        raise ValidationFailed("该操作由系统自动执行，不能手动提交")
    if action in (Action.POST_NOTICE, Action.CLOSE):
        raise ValidationFailed("请通过复查或贴单照片接口完成此操作")
    if not principal.covers(report.district.path):
        raise NotFound()
    changes: dict[str, Any] = {}
    if action == Action.VOID:
        if not principal.has_perm("parking.void_parkingreport"):
            raise PermissionDenied("作废违停上报需中队长审批")
        if len(reason.strip()) < 2:
            raise ValidationFailed("请填写作废原因")
        changes["void_reason"] = reason.strip()[:200]
    elif action == Action.CONFIRM_MOVED:
        changes["moved_at"] = timezone.now()
    return transition(
        report,
        action,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        changes=changes,
    )


def recheck(
    *,
    principal: Principal,
    officer: Officer,
    report: ParkingReport,
    photo: bytes | IO[bytes],
    filename: str,
    outcome: RecheckOutcome,
    plate_read: str = "",
    lat: float | None = None,
    lon: float | None = None,
    accuracy_m: float | None = None,
    expected_version: int | None = None,
) -> ParkingReport:
    """Second photo at the place. Gone → `moved`; still there → a numbered notice is issued.

    When still there, the plate read on the re-check photo and the distance between the two
    photos are compared with the first report; mismatches are stored as warnings.
    """
    if not principal.covers(report.district.path):
        raise NotFound()
    ready = photos.prepare_photo_at(
        report, principal, officer, photo, filename, PhotoKind.RECHECK, lat, lon, accuracy_m
    )
    with transaction.atomic():
        stored = evidence.save_prepared_photo(ready.prepared, ready.files)
        now = timezone.now()
        changes: dict[str, Any] = {
            "recheck_photo": stored,
            "recheck_at": now,
            "recheck_outcome": outcome,
        }
        warnings: list[str] = []
        here = photos.position(stored, lat, lon)
        if here is not None and report.lat is not None and report.lon is not None:
            distance = photos.distance_m(report.lat, report.lon, here[0], here[1])
            changes["recheck_distance_m"] = round(distance, 1)
            if outcome == RecheckOutcome.STILL_THERE and distance > RECHECK_DISTANCE_WARN_M:
                warnings.append(f"两次拍摄位置相距约 {distance:.0f} 米，请确认是否为同一车辆")
        if outcome == RecheckOutcome.STILL_THERE and plate_read:
            read = normalize_plate(plate_read)
            if read != report.plate:
                warnings.append(f"复查照片识别车牌 {read} 与上报车牌 {report.plate} 不一致")
        changes["recheck_warnings"] = warnings
        actor = _user_of(officer)
        if outcome == RecheckOutcome.GONE:
            changes["moved_at"] = now
            return transition(
                report,
                Action.CONFIRM_MOVED,
                actor=actor,
                reason="复查：车辆已驶离",
                expected_version=expected_version,
                changes=changes,
            )
        changes["notice_posted_at"] = now
        updated = transition(
            report,
            Action.POST_NOTICE,
            actor=actor,
            reason="复查：车辆仍在原处，开具文明停车提示单"
            + ("；" + "；".join(warnings) if warnings else ""),
            expected_version=expected_version,
            changes=changes,
        )
        _issue_notice(report=updated, officer=officer, at=now)
    return updated


def post_notice_without_owner(
    *,
    principal: Principal,
    officer: Officer,
    report: ParkingReport,
    expected_version: int | None = None,
) -> ParkingReport:
    """Owner unknown, no SMS by policy (`skip_owner_sms`), or an owner SMS the vendor
    reported undelivered while the window runs: the officer posts the notice."""
    if not principal.covers(report.district.path):
        raise NotFound()
    with transaction.atomic():
        now = timezone.now()
        locked = _locked(report)
        updated = transition(
            locked,
            Action.POST_NOTICE,
            actor=_user_of(officer),
            reason=(
                "短信未送达车主，直接开具提示单"
                if locked.status == Status.AWAITING_MOVE
                else "未能短信通知车主，直接开具提示单"
            ),
            held=True,
            expected_version=expected_version,
            changes={"notice_posted_at": now},
        )
        _issue_notice(report=updated, officer=officer, at=now)
    return updated


def _issue_notice(*, report: ParkingReport, officer: Officer, at: datetime) -> ParkingNotice:
    day = timezone.localtime(at).date()
    seq, _ = NoticeSequence.objects.select_for_update().get_or_create(
        district=report.district, day=day
    )
    seq.last_value += 1
    seq.save(update_fields=["last_value"])
    number = f"{report.district.code}-{day:%Y%m%d}-{seq.last_value:04d}"
    return ParkingNotice.objects.create(
        report=report, number=number, issued_at=at, issued_by=officer
    )


def close_with_notice_photo(
    *,
    principal: Principal,
    officer: Officer,
    report: ParkingReport,
    photo: bytes | IO[bytes],
    filename: str,
    lat: float | None = None,
    lon: float | None = None,
    accuracy_m: float | None = None,
    expected_version: int | None = None,
) -> ParkingReport:
    """The photo of the posted notice closes the case."""
    if not principal.covers(report.district.path):
        raise NotFound()
    ready = photos.prepare_photo_at(
        report, principal, officer, photo, filename, PhotoKind.NOTICE, lat, lon, accuracy_m
    )
    with transaction.atomic():
        stored = evidence.save_prepared_photo(ready.prepared, ready.files)
        return transition(
            report,
            Action.CLOSE,
            actor=_user_of(officer),
            reason="已上传贴单照片，办结",
            expected_version=expected_version,
            changes={"notice_photo": stored, "closed_at": timezone.now()},
        )
