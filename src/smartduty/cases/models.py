"""Rows of the case core: calendar, categories (rows, not apps), cases and their ledgers."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from smartduty.cases.states import Action, CategoryKind, Status, Step, Verifier
from smartduty.cases.workcalendar import LimitUnit
from smartduty.kernel.scoping import ScopedQuerySet
from smartduty.org.states import AgencyKind


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假"
    WORKDAY = "workday", "调休上班"


class CalendarDay(models.Model):
    """A day that differs from the Monday-to-Friday week: a 放假 weekday, or a worked weekend
    day (调休). Time limits in working hours and days count with these (`workcalendar`)."""

    day = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField("说明", max_length=40, blank=True, help_text="如：春节、国庆节调休上班")

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ("day",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CalendarDayKind.values), name="calendar_day_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class Workflow(models.TextChoices):
    """Which loop a category's cases run: the 7-step 数字城管 loop, or the parking loop
    (owner SMS, move window, notice) of the `parking` app."""

    STANDARD = "standard", "数字城管七步闭环"
    PARKING = "parking", "违停：短信挪车 + 提示单"


LIMIT_UNITS = [
    (LimitUnit.WORK_HOURS.value, "工作小时"),
    (LimitUnit.WORK_DAYS.value, "工作日"),
    (LimitUnit.CLOCK_HOURS.value, "自然小时"),
]

_CODE = RegexValidator(r"^[A-Z][0-9]{2}([0-9]{2})?$", "编码格式为 E01（大类）或 E0101（小类）")
_FIELD_TYPES = {"text", "number", "choice", "boolean"}


def _limit_field(label: str, default: str) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0.25"))],
    )


def _unit_field(label: str, default: LimitUnit) -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(label, max_length=12, choices=LIMIT_UNITS, default=default.value)


def validate_form_fields(value: object) -> None:
    """`form_fields`: a list of {name, label, type, required?, choices?} the officer fills in."""
    if not isinstance(value, list):
        raise ValidationError("表单字段须为列表")
    names: set[str] = set()
    for item in value:
        if not isinstance(item, dict):
            raise ValidationError("每个表单字段须为对象")
        name, label, kind = item.get("name"), item.get("label"), item.get("type")
        if not isinstance(name, str) or not name.isidentifier() or name in names:
            raise ValidationError(f"表单字段名无效或重复：{name!r}")
        names.add(name)
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(f"表单字段 {name} 缺少中文名称")
        if kind not in _FIELD_TYPES:
            raise ValidationError(f"表单字段 {name} 的类型须为 {'、'.join(sorted(_FIELD_TYPES))}")
        choices = item.get("choices")
        if kind == "choice" and (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and c for c in choices)
        ):
            raise ValidationError(f"表单字段 {name} 为选择题，须给出选项")
        unknown = set(item) - {"name", "label", "type", "required", "choices"}
        if unknown:
            raise ValidationError(f"表单字段 {name} 含未知属性：{', '.join(sorted(unknown))}")


class Category(models.Model):
    """A kind of case (CJ/T 214 style): a 大类 (no parent) or a 小类 under one, with who handles
    it, its time limits, how it closes and what the reporter fills in."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("编码", max_length=8, unique=True, validators=[_CODE])
    name = models.CharField("名称", max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name="所属大类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField("事部件", max_length=10, choices=CategoryKind.choices)
    agency_kind = models.CharField(
        "处置单位类别", max_length=12, choices=AgencyKind.choices, default=AgencyKind.CHENGGUAN
    )
    workflow = models.CharField(
        "办理流程", max_length=10, choices=Workflow.choices, default=Workflow.STANDARD
    )
    dispatch_limit = _limit_field("派遣时限", "0.5")
    dispatch_unit = _unit_field("派遣时限单位", LimitUnit.WORK_HOURS)
    handle_limit = _limit_field("处置时限", "1")
    handle_unit = _unit_field("处置时限单位", LimitUnit.WORK_DAYS)
    verify_limit = _limit_field("核查时限", "1")
    verify_unit = _unit_field("核查时限单位", LimitUnit.WORK_HOURS)
    after_photo_required = models.BooleanField("结案须上传处置后照片", default=True)
    verified_by = models.CharField(
        "核查人", max_length=12, choices=Verifier.choices, default=Verifier.SUPERVISOR
    )
    duplicate_radius_m = models.PositiveIntegerField(
        "重复判定半径（米）", default=250, help_text="同类未结案件在此距离内视为重复上报"
    )
    form_fields = models.JSONField(
        "上报表单字段",
        default=list,
        blank=True,
        validators=[validate_form_fields],
        help_text='如 [{"name": "stall_count", "label": "摊位数", "type": "number"}]',
    )
    active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "案件类别"
        verbose_name_plural = "案件类别"
        ordering = ("sort_order", "code")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CategoryKind.values), name="category_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(agency_kind__in=AgencyKind.values),
                name="category_agency_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(workflow__in=Workflow.values), name="category_workflow_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(verified_by__in=Verifier.values),
                name="category_verified_by_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.parent_id is not None:
            parent = self.parent
            if parent is not None and parent.parent_id is not None:
                raise ValidationError({"parent": "只支持大类、小类两级"})
            if parent is not None and not self.code.startswith(parent.code):
                raise ValidationError({"code": f"小类编码须以大类编码 {parent.code} 开头"})
            if parent is not None and parent.kind != self.kind:
                raise ValidationError({"kind": "小类须与大类同为事件或部件"})
        elif len(self.code) != 3:
            raise ValidationError({"code": "大类编码为一个字母加两位数字，如 E01"})

    def limit(self, step: str) -> tuple[Decimal, LimitUnit]:
        """The (amount, unit) of the time limit of a `Step` value."""
        return getattr(self, f"{step}_limit"), LimitUnit(getattr(self, f"{step}_unit"))


class Channel(models.TextChoices):
    """Where a case came in (GB/T 30428's intake channels)."""

    OFFICER = "officer", "执法终端"
    COMMAND = "command", "指挥中心"
    PUBLIC = "public", "公众（Open311）"


class Case(models.Model):
    """One problem on the street, from 上报 to 评价. `status` changes only through
    `cases.services.transition` (and approvals that it carries out)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("案件编号", max_length=40, unique=True)
    version = models.PositiveIntegerField("版本", default=1)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT)
    district = models.ForeignKey("org.District", verbose_name="辖区", on_delete=models.PROTECT)
    # routed from the grid at 上报 (the grid's unit for the category's agency kind); set again
    # by 派遣, cleared by 回退
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name="处置单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name="单元网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="上报时按坐标定位；处置单位按网格与类别的单位类别派往",
    )
    channel = models.CharField("来源", max_length=10, choices=Channel.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(
        "客户端幂等键", max_length=64, null=True, blank=True, unique=True
    )
    description = models.CharField("问题描述", max_length=500, blank=True)
    place = models.CharField("地点", max_length=60, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    form_data = models.JSONField("表单内容", default=dict, blank=True)
    photo = models.ForeignKey(
        "evidence.Photo",
        verbose_name="上报照片",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    after_photo = models.ForeignKey(
        "evidence.Photo",
        verbose_name="处置后照片",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verify_photo = models.ForeignKey(
        "evidence.Photo",
        verbose_name="核查照片",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handling_note = models.CharField("处置说明", max_length=500, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="重复于",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    created_at = models.DateTimeField("上报时间", default=timezone.now, db_index=True)
    # set once, by the 立案 transition (or a followed loop's 立案); a voided case keeps it, so
    # the KPIs tell a registered-then-voided case from one voided before 立案 without a join
    registered_at = models.DateTimeField("立案时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    # the clock of the step now running (`states.STEP_OF_STATUS`); empty when none runs
    step = models.CharField("当前时限环节", max_length=10, choices=Step.choices, blank=True)
    step_started_at = models.DateTimeField("环节开始", null=True, blank=True)
    step_due_at = models.DateTimeField("环节截止", null=True, blank=True)
    step_left_seconds = models.FloatField("缓办时剩余时长（秒）", null=True, blank=True)
    # 0 while a step's clock runs, 1 otherwise: the case board's order (running clocks first,
    # nearest due first, then the rest newest first) as plain ascending columns of one index,
    # which SQLite can walk too (it has no NULLS LAST in an index)
    clock_idle = models.GeneratedField(
        expression=models.Case(
            models.When(step_due_at__isnull=True, then=models.Value(1)),
            default=models.Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name="无运行时限",
    )
    handle_due_at = models.DateTimeField("处置截止（应结案日）", null=True, blank=True)
    overdue_steps = models.JSONField("超时环节", default=list, blank=True)
    rework_count = models.PositiveSmallIntegerField("返工次数", default=0)
    extension_count = models.PositiveSmallIntegerField("延期次数", default=0)
    rating = models.PositiveSmallIntegerField("评价（1-5）", null=True, blank=True)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "案件"
        verbose_name_plural = "案件"
        ordering = ("-created_at", "-id")
        permissions = [
            ("report_case", "可上报案件"),
            ("register_case", "可立案、派遣（指挥中心）"),
            ("handle_case", "可处置本单位案件"),
            ("verify_case", "可核查案件（监督员）"),
        ]
        indexes = [
            models.Index(fields=["district", "created_at"]),
            # the KPI period is "reported, due or closed in it": one index per date, with the
            # district first, so the three ranges combine as one bitmap per district
            models.Index(fields=["district", "handle_due_at"], name="case_district_due"),
            models.Index(fields=["district", "closed_at"], name="case_district_closed"),
            models.Index(
                fields=["clock_idle", "step_due_at", "-created_at", "-id"], name="case_board_order"
            ),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["unit", "status"]),
            # the duplicate check's prefilter: same category, a latitude band
            models.Index(fields=["category", "lat", "lon"], name="case_category_lat_lon"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="case_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.name}（{self.get_status_display()}）"

    @property
    def on_time(self) -> bool:
        """按期: no step of this case ran past its limit."""
        return not self.overdue_steps


class CaseTransition(models.Model):
    """One step of a case's timeline: who, when, from where to where, and why."""

    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="transitions"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    action = models.CharField("动作", max_length=24)
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("操作人", max_length=60, default="系统")
    reason = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "案件流转"
        verbose_name_plural = "案件流转"
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.action} {self.from_status}→{self.to_status}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class CaseApproval(models.Model):
    """The ledger of 回退, 延期, 缓办 and 作废: requested, then approved or rejected by a role
    that `states.APPROVER_ROLES` allows; an approval carries the action out."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="approvals"
    )
    action = models.CharField("申请事项", max_length=24, choices=Action.choices)
    reason = models.CharField("申请理由", max_length=200)
    extra_hours = models.DecimalField(
        "延期时长（工作小时）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    status = models.CharField(
        "审批状态", max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "审批台账"
        verbose_name_plural = "审批台账"
        ordering = ("-requested_at", "-id")
        constraints = [
            # one open request per case at a time
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="caseapproval_one_pending_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_status_display()}"


class CaseSequence(models.Model):
    """Per district and day counter that numbers cases without gaps or clashes."""

    district = models.ForeignKey("org.District", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "案件编号序列"
        verbose_name_plural = "案件编号序列"
        constraints = [
            models.UniqueConstraint(fields=["district", "day"], name="casesequence_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.day} {self.last_value}"
