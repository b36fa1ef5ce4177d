"""`manage.py import_grids <file.geojson> --district <code>`: load or update a grid layer.

Each feature's properties: `code` (15 digits), `name`, optional `active` and `units`
(`{"城管": "东区中队", "交警": "交警东区大队"}`, by unit name or public id). A feature whose code
exists updates that grid, so the same file can be imported again. Prints one line per
feature that failed (its number, code and why) and the totals; exits 1 when any failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartduty.grids import services
from smartduty.kernel.errors import DomainError
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District

SYSTEM = Principal(user_id=None, username="manage.py", district_path=None, is_global=True)


class Command(BaseCommand):
    """Import the grids of a GeoJSON FeatureCollection into a district."""

    help = "从 GeoJSON FeatureCollection 导入单元网格（按编码更新，可重复导入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON 文件")
        parser.add_argument("--district", required=True, help="辖区代码，如 990101")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        path: Path = options["file"]
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"找不到辖区代码 {options['district']}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None
        try:
            result = services.import_geojson(
                principal=SYSTEM, actor=None, district=district, data=data
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for row in result.failed:
            self.stderr.write(f"第 {row.number} 个要素 {row.code or '（无编码）'}：{row.message}")
        summary = (
            f"新增 {result.count('created')} 个，更新 {result.count('updated')} 个，"
            f"失败 {result.count('failed')} 个"
        )
        if result.failed:
            raise CommandError(f"导入完成但有失败：{summary}")
        self.stdout.write(self.style.SUCCESS(f"导入完成：{summary}"))
