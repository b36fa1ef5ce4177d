"""`manage.py demo_banner`: print where the product runs and how to log in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from smartduty.demo import data


class Command(BaseCommand):
    """Print the URLs and the demo logins."""

    help = "打印访问地址与演示账号"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        url = options["url"].rstrip("/")
        lines = [
            "",
            "=" * 64,
            "智慧勤务平台 smartduty 已启动",
            f"  执法 App  Officer app: {url}/app/      （手机竖屏 / phone-sized）",
            f"  指挥中心  Command    : {url}/command/",
            f"  管理后台 Back office : {url}/admin/",
            f"  API 文档  API docs   : {url}/api/v1/docs",
            f"  OpenAPI              : {url}/api/v1/openapi.json",
            "",
            f"演示账号 Demo logins（密码 password: {data.DEMO_PASSWORD}）",
        ]
        lines += [
            f"  {o.username:<14} {o.role.label:<6} {o.name}  证号 {o.badge}" for o in data.OFFICERS
        ]
        required = list(settings.OTP_REQUIRED_ROLES)
        if required:
            lines += [
                "",
                f"两步验证（TOTP）强制角色 / two-factor required for: {', '.join(required)}",
                "  首次登录指挥中心或管理后台时扫码绑定身份验证器 / enrol at first log-in",
            ]
        else:
            lines += [
                "",
                "两步验证（TOTP）：演示模式默认不强制，账号可自愿绑定 / demo: not enforced",
                "  强制 enforce: SMARTDUTY_ACCOUNTS__OTP_REQUIRED_ROLES="
                '\'["sysadmin","command","squad_leader"]\'',
            ]
        if settings.DEBUG:
            lines += [
                "",
                "注意：开发模式（DEBUG=True）；未设置的密钥由本机首次启动时生成于 var/，",
                "      仅供演示，勿用于生产。生产部署见 docs/operations/install.md。",
                "Note: development mode (DEBUG=True); keys left unset are generated for",
                "      this install in var/. A demo, not production (docs/operations/install.md).",
            ]
        lines += ["", "按 Ctrl-C 停止 (web + worker)", "=" * 64, ""]
        self.stdout.write("\n".join(lines))
