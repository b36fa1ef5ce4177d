"""Delivery receipts (短信回执): read a vendor's status report and record it on the delivery.

Two steps, so that a bad push changes nothing: `parse_aliyun` / `parse_tencent` check the
whole payload (the vendor's documented shape; `ValidationFailed` with a Chinese message on
anything else) and turn it into `VendorReport`s; `record_reports` then writes them in one
transaction. A report is matched to its delivery by the vendor's message id (Aliyun `BizId`,
Tencent `sid` = `Delivery.provider_message_id`) among the deliveries of that vendor's
providers, and for Aliyun by `OutId` (= the delivery's `public_id`, our idempotency key) when
the id is not known yet. Every report received is kept as a `DeliveryReceipt` (unique
fingerprint: a repeated push changes nothing); the first one that settles a delivery sets its
receipt fields and sends `delivery_delivered` or `delivery_undelivered`. Reports for messages
we don't know are counted and dropped (the vendor would otherwise retry for ever).

Phone numbers in the payloads are checked for shape and then dropped: never stored or logged.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticError

from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.queue import send_safely
from smartduty.notifications.events import delivery_delivered, delivery_undelivered
from smartduty.notifications.models import Delivery, DeliveryReceipt
from smartduty.notifications.ports import Channel
from smartduty.notifications.states import ReceiptStatus

logger = logging.getLogger(__name__)

ALIYUN: Final = "aliyun"
TENCENT: Final = "tencent"
VENDORS: Final = (ALIYUN, TENCENT)
DEFAULT_PROVIDERS: Final[Mapping[str, tuple[str, ...]]] = {
    ALIYUN: ("aliyun_sms", "aliyun"),
    TENCENT: ("tencent_sms", "tencent"),
}
"""The `Delivery.provider` names (registered SMS providers) whose messages each vendor's
reports may settle; `settings.SMS_RECEIPT_PROVIDERS` (vendor → list of names) overrides."""
MAX_REPORTS: Final = 1000
"""Reports in one push; Aliyun pushes batches of up to a few hundred."""
VENDOR_TZ: Final = ZoneInfo("Asia/Shanghai")
"""Both vendors write their times as Beijing wall-clock time without an offset."""
DESCRIPTION_CHARS: Final = 200

Id = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Phone = Annotated[str, StringConstraints(max_length=32)]
Stamp = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class AliyunReport(_Strict):
    """One entry of Aliyun's SmsReport HTTP batch push (短信发送状态报告)."""

    phone_number: Phone
    send_time: Stamp
    report_time: Stamp
    success: bool
    err_code: Code
    err_msg: Text
    sms_size: str | int
    biz_id: Id
    out_id: Id = ""


class TencentReport(_Strict):
    """One entry of Tencent Cloud's 短信下发状态回调."""

    user_receive_time: Stamp
    nationcode: str | int
    mobile: Phone
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: Code
    description: Text
    sid: Id


_S = TypeVar("_S", bound=BaseModel)
_ALIYUN: Final = TypeAdapter(list[AliyunReport])
_TENCENT: Final = TypeAdapter(list[TencentReport])


@dataclass(frozen=True)
class VendorReport:
    """One status report, vendor-neutral and without the phone number."""

    vendor: str
    message_id: str
    out_id: str
    is_success: bool
    raw_status: str
    code: str
    description: str
    reported_at: datetime | None


@dataclass(frozen=True)
class ReceiptSummary:
    """What `record_reports` did with one push."""

    applied: int = 0
    """Reports that settled a delivery (delivered / undelivered)."""
    kept: int = 0
    """New reports for an already settled delivery: stored, not applied."""
    duplicates: int = 0
    """Reports received before (same fingerprint): nothing changed."""
    unknown: int = 0
    """Reports for messages we don't know: ignored."""


def _when(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"回执时间格式不正确（{field}）") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=VENDOR_TZ)
    return moment


def _check(adapter: TypeAdapter[list[_S]], payload: object) -> list[_S]:
    if not isinstance(payload, list):
        raise ValidationFailed("回执格式不正确：应为 JSON 数组")
    if not payload:
        raise ValidationFailed("回执为空")
    if len(payload) > MAX_REPORTS:
        raise ValidationFailed(f"一次推送的回执过多（最多 {MAX_REPORTS} 条）")
    try:
        return adapter.validate_python(payload)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValidationFailed(f"回执格式不正确：第 {where} 项缺失或类型错误") from None


def parse_aliyun(payload: object) -> list[VendorReport]:
    """Aliyun's SmsReport push (a JSON array) as reports; `ValidationFailed` if malformed."""
    return [
        VendorReport(
            vendor=ALIYUN,
            message_id=row.biz_id,
            out_id=row.out_id,
            is_success=row.success,
            raw_status="SUCCESS" if row.success else "FAIL",
            code=row.err_code,
            description=row.err_msg[:DESCRIPTION_CHARS],
            reported_at=_when(row.report_time, "report_time"),
        )
        for row in _check(_ALIYUN, payload)
    ]


def parse_tencent(payload: object) -> list[VendorReport]:
    """Tencent's status callback (a JSON array) as reports; `ValidationFailed` if malformed."""
    return [
        VendorReport(
            vendor=TENCENT,
            message_id=row.sid,
            out_id="",
            is_success=row.report_status == "SUCCESS",
            raw_status=row.report_status,
            code=row.errmsg,
            description=row.description[:DESCRIPTION_CHARS],
            reported_at=_when(row.user_receive_time, "user_receive_time"),
        )
        for row in _check(_TENCENT, payload)
    ]


def providers_of(vendor: str) -> tuple[str, ...]:
    """The `Delivery.provider` names whose messages `vendor`'s reports may settle."""
    configured: Mapping[str, Iterable[str]] = getattr(settings, "SMS_RECEIPT_PROVIDERS", {})
    names = configured.get(vendor, DEFAULT_PROVIDERS.get(vendor, ()))
    return tuple(str(name) for name in names)


def _find(report: VendorReport) -> Delivery | None:
    mine = Delivery.objects.filter(channel=Channel.SMS, provider__in=providers_of(report.vendor))
    if report.message_id:
        found = mine.filter(provider_message_id=report.message_id).first()
        if found is not None:
            return found
    if report.out_id:
        try:
            public_id = uuid.UUID(report.out_id)
        except ValueError:
            return None
        found = mine.filter(public_id=public_id).first()
        # an OutId only stands in while we have not recorded the vendor's id ourselves
        if found is not None and report.message_id and found.provider_message_id:
            return None if found.provider_message_id != report.message_id else found
        return found
    return None


def _fingerprint(delivery: Delivery, report: VendorReport) -> str:
    parts = (
        report.vendor,
        str(delivery.pk),
        report.message_id,
        report.raw_status,
        report.code,
        report.reported_at.isoformat() if report.reported_at else "",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def record_reports(reports: Sequence[VendorReport]) -> ReceiptSummary:
    """Record one push's reports in one transaction (idempotent); see the module docstring."""
    applied = kept = duplicates = unknown = 0
    with transaction.atomic():
        for report in reports:
            delivery = _find(report)
            if delivery is None:
                unknown += 1
                logger.info(
                    "sms receipt for an unknown message vendor=%s id=%s status=%s",
                    report.vendor,
                    report.message_id[:100],
                    report.raw_status,
                )
                continue
            outcome = _record_one(delivery, report)
            if outcome == "applied":
                applied += 1
            elif outcome == "kept":
                kept += 1
            else:
                duplicates += 1
    return ReceiptSummary(applied=applied, kept=kept, duplicates=duplicates, unknown=unknown)


def _record_one(delivery: Delivery, report: VendorReport) -> Literal["applied", "kept", "dup"]:
    fingerprint = _fingerprint(delivery, report)
    if DeliveryReceipt.objects.filter(fingerprint=fingerprint).exists():
        return "dup"
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    settles = locked.receipt_status == ""
    try:
        with transaction.atomic():  # a concurrent push of the same report may win the insert
            DeliveryReceipt.objects.create(
                delivery=locked,
                vendor=report.vendor,
                provider_message_id=report.message_id,
                raw_status=report.raw_status,
                is_success=report.is_success,
                code=report.code,
                description=report.description,
                reported_at=report.reported_at,
                is_applied=settles,
                fingerprint=fingerprint,
            )
    except IntegrityError:
        return "dup"
    if not settles:
        return "kept"
    status = ReceiptStatus.DELIVERED if report.is_success else ReceiptStatus.UNDELIVERED
    locked.receipt_status = status
    locked.receipt_code = report.code
    locked.receipt_description = report.description
    locked.receipt_at = report.reported_at or timezone.now()
    locked.save(
        update_fields=["receipt_status", "receipt_code", "receipt_description", "receipt_at"]
    )
    signal = delivery_delivered if status == ReceiptStatus.DELIVERED else delivery_undelivered
    send_safely(signal, sender=Delivery, delivery=locked)
    logger.info(
        "sms receipt id=%s vendor=%s status=%s code=%s",
        locked.public_id,
        report.vendor,
        status,
        report.code,
    )
    return "applied"
