"""Factories for the vehicles app: registered vehicles and import files (CSV and XLSX)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from smartduty.org.models import District
from smartduty.vehicles import services
from smartduty.vehicles.models import Vehicle

_serials = itertools.count(1)

HEADER_ZH = ("车牌号", "车主姓名", "车主电话", "号牌颜色")
HEADER_EN = ("plate", "owner_name", "owner_phone", "color")


def next_plate(prefix: str = "鲁A") -> str:
    """A fresh, valid, ordinary plate: 鲁A00001, 鲁A00002, ..."""
    return f"{prefix}{next(_serials):05d}"


def make_vehicle(
    district: District,
    *,
    plate: str | None = None,
    owner_name: str = "张三",
    owner_phone: str = "13812345678",
    plate_color: str | None = None,
) -> Vehicle:
    """A vehicle registered through the service (so the phone is encrypted and masked)."""
    return services.register_vehicle(
        district=district,
        plate=plate or next_plate(),
        owner_name=owner_name,
        owner_phone=owner_phone,
        plate_color=plate_color,
    )


def csv_upload(
    rows: Sequence[Sequence[object]],
    *,
    header: Sequence[str] = HEADER_ZH,
    encoding: str = "utf-8-sig",
    name: str = "车辆清单.csv",
) -> SimpleUploadedFile:
    """An uploaded CSV file with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(
    rows: Sequence[Sequence[object]],
    *,
    header: Sequence[str] = HEADER_ZH,
    name: str = "车辆清单.xlsx",
) -> SimpleUploadedFile:
    """An uploaded XLSX workbook (first sheet: header row, then the rows)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
