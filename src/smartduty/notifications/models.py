"""Outbox tables: one `Delivery` per message, its `DeliveryAttempt`s, and the console store."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from smartduty.notifications.ports import Channel
from smartduty.notifications.states import AttemptOutcome, DeliveryStatus, ReceiptStatus


class Delivery(models.Model):
    """A message to send: written in the transaction of the decision that needs it.

    Nothing is sent inline; the outbox pump of `run_worker` claims due rows with a lease,
    sends outside any transaction and records the outcome. The recipient address is stored
    encrypted (`kernel.crypto`), with a masked copy for display and a keyed digest for
    look-ups (an officer's app notifications); it is never logged in plain.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    recipient_encrypted = models.TextField("收件地址（加密）", editable=False)
    recipient_masked = models.CharField("收件地址", max_length=64)
    recipient_digest = models.CharField("收件地址摘要", max_length=64, editable=False)
    recipient_erased_at = models.DateTimeField(
        "收件地址清除时间",
        null=True,
        blank=True,
        editable=False,
        help_text="保留期满后，加密的收件地址和摘要已清除，仅保留打码地址",
    )
    template_code = models.CharField("模板编号", max_length=40)
    params = models.JSONField("模板参数", default=dict, blank=True)
    signature = models.CharField("签名", max_length=20, blank=True)
    rendered_text = models.TextField("消息内容")
    provider = models.CharField("发送通道", max_length=40)
    subject_type = models.CharField("业务对象类型", max_length=80, blank=True)
    subject_id = models.CharField("业务对象编号", max_length=64, blank=True)
    dedupe_key = models.CharField("去重键", max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        "状态", max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    lease_until = models.DateTimeField("租约到期", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    provider_message_id = models.CharField("回执编号", max_length=100, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    # the vendor's delivery report (回执), apart from the outbox status: see `ReceiptStatus`
    receipt_status = models.CharField(
        "送达状态", max_length=12, choices=ReceiptStatus.choices, blank=True, default=""
    )
    receipt_code = models.CharField("回执状态码", max_length=64, blank=True)
    receipt_description = models.CharField("回执说明", max_length=200, blank=True)
    receipt_at = models.DateTimeField("送达/失败时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息投递"
        verbose_name_plural = "消息投递"
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="notif_delivery_due_idx",
            ),
            models.Index(
                fields=["lease_until"],
                condition=models.Q(status="sending"),
                name="notif_delivery_lease_idx",
            ),
            models.Index(fields=["subject_type", "subject_id"], name="notif_delivery_subject_idx"),
            models.Index(
                fields=["channel", "recipient_digest", "created_at"],
                name="notif_delivery_recipient_idx",
            ),
            models.Index(
                fields=["provider", "provider_message_id"], name="notif_delivery_msgid_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="notif_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values),
                name="notif_delivery_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(receipt_status__in=["", *ReceiptStatus.values]),
                name="notif_delivery_receipt_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_masked} [{self.template_code}]"


class DeliveryAttempt(models.Model):
    """One try to hand a delivery to its provider; kept for audit and diagnosis."""

    delivery = models.ForeignKey(
        Delivery, verbose_name="消息投递", on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    outcome = models.CharField(
        "结果", max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.IN_PROGRESS
    )
    error = models.TextField("错误", blank=True)
    provider_message_id = models.CharField("回执编号", max_length=100, blank=True)

    class Meta:
        verbose_name = "发送尝试"
        verbose_name_plural = "发送尝试"
        ordering = ("started_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=AttemptOutcome.values),
                name="notif_attempt_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"


class DeliveryReceipt(models.Model):
    """One delivery report (回执) a vendor pushed for one of our messages, as received.

    Kept for audit and for idempotency: `fingerprint` (vendor, message id, raw status, code,
    report time) is unique, so a vendor that pushes the same report again changes nothing.
    Only the first report that settles a delivery (`is_applied`) sets its receipt fields; later
    different ones are kept, not applied. No phone number is stored here.
    """

    delivery = models.ForeignKey(
        Delivery, verbose_name="消息投递", on_delete=models.CASCADE, related_name="receipts"
    )
    vendor = models.CharField("短信服务商", max_length=20)
    provider_message_id = models.CharField("回执编号", max_length=100, blank=True)
    raw_status = models.CharField("原始状态", max_length=32)
    is_success = models.BooleanField("是否送达")
    code = models.CharField("状态码", max_length=64, blank=True)
    description = models.CharField("说明", max_length=200, blank=True)
    reported_at = models.DateTimeField("运营商报告时间", null=True, blank=True)
    received_at = models.DateTimeField("接收时间", default=timezone.now)
    is_applied = models.BooleanField("已更新投递状态", default=False)
    fingerprint = models.CharField("指纹", max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = "短信回执"
        verbose_name_plural = "短信回执"
        ordering = ("received_at", "id")

    def __str__(self) -> str:
        return f"{self.vendor} {self.provider_message_id} {self.raw_status}"


class ConsoleMessage(models.Model):
    """What the console provider "sent": the demo's SMS gateway, shown as 控制台短信.

    The unique `idempotency_key` (a delivery's public_id) makes the console provider accept a
    message at most once, even when a worker dies after sending and before recording it.
    """

    idempotency_key = models.CharField("幂等键", max_length=64, unique=True)
    provider_message_id = models.CharField("回执编号", max_length=64, unique=True)
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    recipient_masked = models.CharField("收件地址", max_length=64)
    template_code = models.CharField("模板编号", max_length=40)
    params = models.JSONField("模板参数", default=dict, blank=True)
    text = models.TextField("短信内容")
    segments = models.PositiveSmallIntegerField("计费条数", default=1)
    created_at = models.DateTimeField("接收时间", default=timezone.now)

    class Meta:
        verbose_name = "控制台短信"
        verbose_name_plural = "控制台短信"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.recipient_masked}: {self.text[:30]}"
