"""`manage.py open311_key create --name 12345热线 --district 990001`: a partner's Open311 key.

Prints the raw key once (only its SHA-256 digest is stored); `open311_key list` shows the
keys by prefix, `open311_key disable <prefix>` turns one off.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from smartduty.kernel.errors import DomainError
from smartduty.open311 import services
from smartduty.open311.models import ApiKey
from smartduty.org.models import District


class Command(BaseCommand):
    help = "Create, list or disable Open311 API keys (创建、列出或停用 Open311 接口密钥)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("--name", required=True, help="the partner, e.g. 12345热线")
        create.add_argument("--district", required=True, help="district code, e.g. 990001")
        sub.add_parser("list", help="list keys (prefix only)")
        disable = sub.add_parser("disable", help="disable a key by its prefix")
        disable.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        action = options["action"]
        if action == "create":
            district = District.objects.filter(code=options["district"]).first()
            if district is None:
                raise CommandError(f"未找到辖区 {options['district']}")
            try:
                key, raw = services.issue_api_key(name=options["name"], district=district)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"已创建密钥 {key.name}（{district.name}），只显示这一次：")
            self.stdout.write(raw)
        elif action == "list":
            for key in ApiKey.objects.select_related("district"):
                state = "启用" if key.is_active else "停用"
                self.stdout.write(f"{key.prefix}…\t{key.name}\t{key.district.code}\t{state}")
        else:
            count = services.disable_api_key(prefix=options["prefix"])
            if not count:
                raise CommandError(f"没有前缀为 {options['prefix']} 的启用密钥")
            self.stdout.write(f"已停用 {count} 个密钥")
