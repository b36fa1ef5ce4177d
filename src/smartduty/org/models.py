"""Org tables: the district tree, agencies, units, officers and API tokens."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet
from smartduty.org.states import AgencyKind, DistrictLevel, UnitLevel


class District(models.Model):
    """A node of the administrative tree 市 → 区 → 街道.

    `path` is the materialised path of codes (`/371500/371502/`), so a subtree is one
    `startswith` filter on SQLite and PostgreSQL alike. It is set by `org.services`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=DistrictLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=255, unique=True, editable=False)

    scope_path_lookup = "path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "辖区"
        verbose_name_plural = "辖区"
        ordering = ("path",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=DistrictLevel.values), name="district_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An enforcement agency (城管 or 交警) of a city."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类别", max_length=12, choices=AgencyKind.choices)
    district = models.ForeignKey(District, verbose_name="所属辖区", on_delete=models.PROTECT)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "执法机构"
        verbose_name_plural = "执法机构"
        ordering = ("kind", "name")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AgencyKind.values), name="agency_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A 支队, 大队 or 中队 of an agency, responsible for one district subtree."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("名称", max_length=60)
    agency = models.ForeignKey(Agency, verbose_name="机构", on_delete=models.PROTECT)
    level = models.CharField("层级", max_length=10, choices=UnitLevel.choices)
    district = models.ForeignKey(District, verbose_name="责任辖区", on_delete=models.PROTECT)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "执法单位"
        verbose_name_plural = "执法单位"
        ordering = ("agency", "name")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=UnitLevel.values), name="unit_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    """A person on duty: one login account, one badge number, one unit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        on_delete=models.CASCADE,
        related_name="officer",
    )
    name = models.CharField("姓名", max_length=40)
    badge_number = models.CharField("警号/执法证号", max_length=20, unique=True)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT)
    is_active = models.BooleanField("在岗", default=True)

    scope_path_lookup = "unit__district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "执法人员"
        verbose_name_plural = "执法人员"
        ordering = ("badge_number",)

    def __str__(self) -> str:
        return f"{self.name}（{self.badge_number}）"


class ApiToken(models.Model):
    """A bearer token for a packaged app. Only the SHA-256 digest is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField("用途", max_length=60, default="officer-app")
    prefix = models.CharField("前缀", max_length=12, editable=False)
    digest = models.CharField("摘要", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class LoginFailure(models.Model):
    """One failed log-in (wrong password or one-time code) while it still counts.

    The log-in throttle (`org.throttle`) counts these per (account, source address), per
    source address and per account inside a sliding window; rows older than a day are pruned.
    The permanent record is the audit log (`auth.login_failed`), not this table.
    """

    username = models.CharField("账号", max_length=150)
    ip_address = models.CharField("来源地址", max_length=45, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = "登录失败记录"
        ordering = ("-at",)
        indexes = [
            models.Index(fields=["username", "ip_address", "at"], name="loginfailure_pair"),
            models.Index(fields=["ip_address", "at"], name="loginfailure_source"),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip_address or '?'} {self.at:%Y-%m-%d %H:%M:%S}"
