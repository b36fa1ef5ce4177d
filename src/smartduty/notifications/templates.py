"""Message templates: code → Chinese text with `${var}` placeholders, as vendors approve them.

Rules checked when a template is registered (Aliyun/Huawei SMS rules, domain.md §3.7): every
declared variable appears exactly once and nothing else does, no two variables are adjacent,
the template is not only variables, it holds no 【】 (the signature is added by `render`), does
not start or end with [ ], carries no special symbols, and is ≤ 500 characters.

Rules checked when rendering: every variable is given, nothing extra, each value is 1–35
characters of plain text; an SMS needs a 2–12 character signature.
Length: signature (with 【】) + text; ≤ 70 characters is one billed SMS segment, longer
messages are billed per 67 characters (`ports.sms_segments`, the SMS channel's rule that
adapters count with too; re-exported here with `SINGLE_SEGMENT_CHARS`).

`SD_MOVE_001`, the move-car SMS, fits one segment with realistic values (plate 8 characters,
time `09:30`, place ≤ 12 characters, window `10分钟`, link ≤ 22 characters such as
`sd.example/o/Ab3dE9kQ`, signature 【示范城管】): exactly 70 at those maxima, which leaves
13 characters of fixed text: 车辆 … 于 … 停 …，请 … 内驶离，非罚单 … ("not a fine" matters more
to owners than "停在" or "详见"; the linked page says the rest). Callers shorten `place` when
a longer signature or link would need a second segment.
`SD_MOVE_002`, the one reminder (催挪) sent at the district's point of the window while the car
is still there, fits one segment at the same maxima (deadline `09:40`): 69 characters.
The `minutes` variable carries the whole window text from `format_window` ("10分钟", "20秒"),
so short demo windows read correctly.

`SD_APP_002`, the case core's step alert (`cases.services.handle_step_timer`), is an app push:
the officer app shows a push as `title：body`, and for a template without a `body` variable the
inbox's body is the text after `title：` (`notifications.schemas.AppNotificationOut`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.registry import Registry
from smartduty.notifications import ports
from smartduty.notifications.ports import Channel

# the SMS segment rule belongs to the port (adapters count with it); here for this module's callers
SINGLE_SEGMENT_CHARS = ports.SINGLE_SEGMENT_CHARS
sms_segments = ports.sms_segments

VARIABLE = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")
MAX_TEMPLATE_CHARS = 500
VARIABLE_MIN_CHARS = 1
VARIABLE_MAX_CHARS = 35
SIGNATURE_MIN_CHARS = 2
SIGNATURE_MAX_CHARS = 12
FORBIDDEN_SYMBOLS = frozenset("【】★☆※→←↑↓①②③④⑤⑥⑦⑧⑨⑩")

MOVE_CAR_SMS = "SD_MOVE_001"
MOVE_REMINDER_SMS = "SD_MOVE_002"
APP_NOTICE = "SD_APP_001"
CASE_STEP_ALERT = "SD_APP_002"


@dataclass(frozen=True)
class Template:
    """One approved template. Construction checks the vendor rules (`ImproperlyConfigured`)."""

    code: str
    channel: Channel
    text: str
    variables: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        """Refuse templates a Chinese SMS vendor would reject."""
        problems = _template_problems(self.text, self.variables)
        if problems:
            raise ImproperlyConfigured(f"template {self.code}: {'; '.join(problems)}")

    @property
    def static_text(self) -> str:
        """The text without its placeholders."""
        return VARIABLE.sub("", self.text)


def _template_problems(text: str, variables: tuple[str, ...]) -> list[str]:
    found = VARIABLE.findall(text)
    problems = []
    if len(text) > MAX_TEMPLATE_CHARS:
        problems.append(f"longer than {MAX_TEMPLATE_CHARS} characters")
    if sorted(found) != sorted(set(found)):
        problems.append("a variable appears more than once")
    if set(found) != set(variables) or len(variables) != len(set(variables)):
        problems.append(f"placeholders {sorted(found)} differ from declared {sorted(variables)}")
    if "}${" in text:
        problems.append("adjacent variables")
    static = VARIABLE.sub("", text)
    if not static.strip():
        problems.append("only variables")
    if "$" in static or "{" in static or "}" in static:
        problems.append("malformed placeholder")
    if FORBIDDEN_SYMBOLS & set(static):
        problems.append("contains 【】 or special symbols")
    if text[:1] in "[]" or text[-1:] in "[]":
        problems.append("starts or ends with [ ]")
    return problems


_TEMPLATES: Registry[Template] = Registry("message template")


def register_template(template: Template) -> None:
    """Make a template available by its code; call from an app's `ready()`."""
    _TEMPLATES.register(template.code, template)


def templates() -> Registry[Template]:
    """The template registry (tests use `.override()`)."""
    return _TEMPLATES


def get_template(code: str) -> Template:
    """The template, or `ValidationFailed` for an unknown code."""
    template = _TEMPLATES.find(code)
    if template is None:
        raise ValidationFailed(f"未知的消息模板：{code}")
    return template


def render(code: str, params: Mapping[str, str], signature: str) -> str:
    """The final text: 【signature】 + the template with its variables filled.

    Raises `ValidationFailed` (Chinese message) for missing, extra, empty, too long or
    non-text values, and for an SMS without a valid signature.
    """
    template = get_template(code)
    _check_params(template, params)
    _check_signature(template, signature)
    body = VARIABLE.sub(lambda match: params[match.group(1)], template.text)
    return f"【{signature}】{body}" if signature else body


def _check_params(template: Template, params: Mapping[str, str]) -> None:
    missing = [name for name in template.variables if name not in params]
    if missing:
        raise ValidationFailed(f"模板 {template.code} 缺少参数：{'、'.join(missing)}")
    extra = sorted(set(params) - set(template.variables))
    if extra:
        raise ValidationFailed(f"模板 {template.code} 不接受参数：{'、'.join(extra)}")
    for name in template.variables:
        value = params[name]
        if not isinstance(value, str):
            raise ValidationFailed(f"参数 {name} 必须是文本")
        if not VARIABLE_MIN_CHARS <= len(value) <= VARIABLE_MAX_CHARS:
            raise ValidationFailed(
                f"参数 {name} 的长度须为 {VARIABLE_MIN_CHARS}–{VARIABLE_MAX_CHARS} 个字符"
                f"（当前 {len(value)} 个）"
            )
        if "【" in value or "】" in value or "${" in value:
            raise ValidationFailed(f"参数 {name} 不能包含【】或 ${{")


def _check_signature(template: Template, signature: str) -> None:
    if not signature and template.channel != Channel.SMS:
        return
    if not SIGNATURE_MIN_CHARS <= len(signature) <= SIGNATURE_MAX_CHARS:
        raise ValidationFailed(
            f"短信签名须为 {SIGNATURE_MIN_CHARS}–{SIGNATURE_MAX_CHARS} 个字符"
            f"（当前 {len(signature)} 个）"
        )
    if "【" in signature or "】" in signature:
        raise ValidationFailed("短信签名不要带【】，系统会自动添加")


def format_window(seconds: int) -> str:
    """A deadline window as owners read it: 600 → `10分钟`, 7200 → `2小时`, 20 → `20秒`.

    Whole hours and whole minutes are shown as such; anything else in seconds, so a
    shortened demo window is never rounded into a promise the deadline does not keep.
    """
    if seconds <= 0:
        raise ValueError("a window must be positive")
    if seconds % 3600 == 0:
        return f"{seconds // 3600}小时"
    if seconds % 60 == 0:
        return f"{seconds // 60}分钟"
    return f"{seconds}秒"


DEFAULT_TEMPLATES = (
    Template(
        code=MOVE_CAR_SMS,
        channel=Channel.SMS,
        text="车辆${plate}于${time}停${place}，请${minutes}内驶离，非罚单${link}",
        variables=("plate", "time", "place", "minutes", "link"),
        description="一键挪车提醒：车牌、时间（HH:MM）、地点（≤12字）、时限、短链接",
    ),
    Template(
        code=MOVE_REMINDER_SMS,
        channel=Channel.SMS,
        text="提醒：车辆${plate}仍停${place}，请${deadline}前驶离，非罚单${link}",
        variables=("plate", "place", "deadline", "link"),
        description="催挪短信（仅一次）：车牌、地点（≤12字）、截止时间（HH:MM）、短链接",
    ),
    Template(
        code=APP_NOTICE,
        channel=Channel.APP_PUSH,
        text="${title}：${body}",
        variables=("title", "body"),
        description="执法 App 通知：标题与正文",
    ),
    Template(
        code=CASE_STEP_ALERT,
        channel=Channel.APP_PUSH,
        text="${title}：${number}（${category}，${place}）${when}",
        variables=("title", "number", "category", "place", "when"),
        description="案件时限预警/超时：标题、案件编号、类别、地点（≤12字）、剩余或超时",
    ),
)


def register_defaults() -> None:
    """Register the built-in templates; idempotent (called from `NotificationsConfig.ready()`)."""
    for template in DEFAULT_TEMPLATES:
        register_template(template)
