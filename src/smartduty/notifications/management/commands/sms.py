"""`manage.py sms test --to 13800138000 --district 371502`: one real SMS through a district's
vendor, to check credentials, signature and template before the first report needs them.

It sends the district's move-car template (the one the vendor approved) with sample values
straight through the provider the district's policy names (or `--provider`), outside the
outbox, and prints the vendor's answer: the message id, or the error and whether the outbox
would retry it. The number is printed masked, and the test is written to the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications import templates
from smartduty.notifications.addresses import normalise_address
from smartduty.notifications.ports import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    RetryableSendError,
    mask_address,
)
from smartduty.notifications.providers import find_sender, provider_names
from smartduty.org.models import District
from smartduty.policy.selectors import get_effective_policy

SAMPLE_PLATE = "鲁A12345"
SAMPLE_PLACE = "短信通道测试"


class Command(BaseCommand):
    """`sms test`: send one sample SMS through a district's vendor and print its answer."""

    help = "短信通道测试：按辖区设置发送一条样例短信 / send one sample SMS via a district's vendor"

    def add_arguments(self, parser: CommandParser) -> None:
        """`test --to PHONE --district CODE [--provider NAME]`."""
        sub = parser.add_subparsers(dest="action", required=True)
        test = sub.add_parser("test", help="发送一条样例挪车短信 / send one sample move-car SMS")
        test.add_argument("--to", required=True, help="手机号 / mobile number")
        test.add_argument("--district", required=True, help="辖区代码 / district code")
        test.add_argument("--provider", default="", help="短信通道（默认取辖区规则）")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Send the sample and print the vendor's answer; fail (exit 1) on any error."""
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"未找到辖区代码 {options['district']}")
        policy = get_effective_policy(district=district)
        provider = options["provider"] or policy.sms_provider
        sender = find_sender(channel=Channel.SMS, name=provider)
        if sender is None:
            known = "、".join(provider_names(channel=Channel.SMS))
            raise CommandError(f"短信通道 {provider} 未注册（已注册：{known}）；请检查其凭据配置")
        try:
            address = normalise_address(Channel.SMS, options["to"])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        params = {
            "plate": SAMPLE_PLATE,
            "time": timezone.localtime().strftime("%H:%M"),
            "place": SAMPLE_PLACE,
            "minutes": templates.format_window(policy.move_window_seconds),
            "link": str(settings.PUBLIC_BASE_URL).removeprefix("https://").removeprefix("http://"),
        }
        code = policy.sms_template_code
        try:
            text = templates.render(code, params, policy.sms_signature)
        except ValidationFailed as exc:
            raise CommandError(f"模板 {code}：{exc.message}") from exc
        masked = mask_address(Channel.SMS, address)
        message = OutboundMessage(
            address=address,
            template_code=code,
            params=params,
            signature=policy.sms_signature,
            rendered_text=text,
            idempotency_key=str(uuid.uuid4()),
        )
        self.stdout.write(f"通道 {provider} · 模板 {code} · 发往 {masked}\n{text}")
        outcome, detail = "sent", ""
        try:
            receipt = sender.send(message)
        except RetryableSendError as exc:
            outcome, detail = "retryable", str(exc)
        except PermanentSendError as exc:
            outcome, detail = "failed", str(exc)
        audit.record(
            actor=None,
            action="notifications.sms_test",
            obj=district,
            district_path=district.path,
            reason=f"{provider} {code} → {masked}: {outcome} {detail}"[:200],
        )
        if outcome == "retryable":
            raise CommandError(f"暂时失败（发件箱会重试）：{detail}")
        if outcome == "failed":
            raise CommandError(f"发送失败（不会重试）：{detail}")
        self.stdout.write(f"已被短信平台接收，消息编号 {receipt.provider_message_id}")
