"""Kernel tables: the audit log shared by every app, and durable timers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One auditable act: an admin change, a reveal of personal data, a policy edit.

    Rows are append-only; nothing in the product updates or deletes them.
    """

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("动作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=80, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    district_path = models.CharField("辖区路径", max_length=255, blank=True, db_index=True)
    reason = models.TextField("事由", blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"


class TimerStatus(models.TextChoices):
    """Life of a durable deadline."""

    PENDING = "pending", "待触发"
    DONE = "done", "已触发"
    CANCELLED = "cancelled", "已取消"
    FAILED = "failed", "触发失败"


class Timer(models.Model):
    """A durable deadline: "at `due_at`, run the handler of `kind` for this subject".

    Written by services in the transaction of the decision that caused it (entering
    `awaiting_move` inserts `parking.move_deadline`), fired by the timer pump of
    `run_worker` in batches claimed through `kernel.queue` (`kernel.timers.fire_due`); a
    handler runs in the claiming transaction, so its effects and the `done` mark commit
    together. Handlers are idempotent.
    """

    kind = models.CharField("类型", max_length=80)
    subject_type = models.CharField("对象类型", max_length=80)
    subject_id = models.CharField("对象编号", max_length=64)
    due_at = models.DateTimeField("到期时间")
    status = models.CharField(
        "状态", max_length=12, choices=TimerStatus.choices, default=TimerStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("失败次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    fired_at = models.DateTimeField("触发时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    policy_version = models.PositiveIntegerField("规则版本", null=True, blank=True)
    dedupe_key = models.CharField("去重键", max_length=200, null=True, blank=True)

    class Meta:
        verbose_name = "定时器"
        verbose_name_plural = "定时器"
        ordering = ("due_at", "id")
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="kernel_timer_pending_due_idx",
            ),
            models.Index(
                fields=["subject_type", "subject_id", "kind"], name="kernel_timer_subject_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TimerStatus.values), name="kernel_timer_status_valid"
            ),
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(status="pending"),
                name="kernel_timer_pending_dedupe_unique",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.subject_type}:{self.subject_id} @ {self.due_at:%Y-%m-%d %H:%M:%S}"
        )

    @property
    def lateness_ms(self) -> int | None:
        """How late the timer fired (`fired_at - due_at`) in milliseconds, once fired."""
        if self.fired_at is None:
            return None
        return round((self.fired_at - self.due_at).total_seconds() * 1000)


class RateBucket(models.Model):
    """One rate-limit counter: how many hits `key` had in the fixed window ending `window_end`.

    One row per key (a principal or source and what it does), rewritten in place when a new
    window starts; `kernel.ratelimit` changes it only with single atomic `UPDATE`s, so every
    web process and thread shares the count. Rows whose window ended long ago are deleted.
    """

    key = models.CharField("键", max_length=120, primary_key=True)
    window_end = models.BigIntegerField("窗口结束（Unix 秒）")
    count = models.PositiveIntegerField("次数", default=0)

    class Meta:
        verbose_name = "限流计数"
        verbose_name_plural = "限流计数"
        indexes = [models.Index(fields=["window_end"], name="kernel_ratebucket_end_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.window_end}"
