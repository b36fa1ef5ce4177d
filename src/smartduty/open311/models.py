"""Rows of the Open311 interface: partners' API keys and the public side of a request."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet


class ApiKey(models.Model):
    """A partner system's key for writing service requests (POST requests). Only the SHA-256
    digest is stored; the raw key is printed once by `manage.py open311_key create`. Cases
    it reports belong to its district."""

    name = models.CharField("名称", max_length=60, help_text="如：12345 热线、市民随手拍")
    district = models.ForeignKey(
        "org.District", verbose_name="所属辖区", on_delete=models.PROTECT, related_name="+"
    )
    prefix = models.CharField("前缀", max_length=12, editable=False)
    digest = models.CharField("摘要", max_length=64, unique=True, editable=False)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "Open311 接口密钥"
        verbose_name_plural = "Open311 接口密钥"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class PublicReport(models.Model):
    """What a service request brought besides its case: the key that sent it, the media URL
    it named, its `token`, and the reporter's contact (first/last name, email, phone) as one
    encrypted JSON object, with only a masked phone in the clear. The public API never shows
    the contact; the back office shows the masked phone. Both are erased
    `OPEN311_CONTACT_RETENTION_DAYS` after the case ends (`services.erase_contact`).

    The token (GeoReport v2 "GET service_request_id from a token") is answered with every
    POST beside the case number and resolves at `tokens/{token}` for as long as the report
    exists; it is random (128 bits), so it says nothing that the guessable case number does
    not. Reports made before tokens existed have none (nobody was given one)."""

    case = models.OneToOneField(
        "cases.Case", verbose_name="案件", on_delete=models.CASCADE, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, verbose_name="来源密钥", on_delete=models.PROTECT, related_name="reports"
    )
    media_url = models.URLField("媒体链接", max_length=500, blank=True)
    token = models.CharField(  # null, not "": unique, and absent on older reports
        "受理凭证（token）", max_length=32, unique=True, null=True, blank=True, editable=False
    )
    contact_encrypted = models.TextField("上报人联系方式（密文）", blank=True, editable=False)
    phone_masked = models.CharField("上报人电话", max_length=20, blank=True, editable=False)
    contact_erased_at = models.DateTimeField(
        "联系方式清除时间",
        null=True,
        blank=True,
        editable=False,
        help_text="案件结束后保留期满即清除上报人联系方式",
    )
    created_at = models.DateTimeField("接收时间", default=timezone.now, editable=False)

    scope_path_lookup = "case__district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "Open311 公众上报"
        verbose_name_plural = "Open311 公众上报"
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.api_key_id}"
