"""Reading vehicle spreadsheets (.xlsx or .csv) into rows of named fields. No database.

Headers may be Chinese or English (`车牌号`/`plate`, `车主姓名`/`owner_name`,
`车主电话`/`owner_phone`, optional `号牌颜色`/`color`). The first non-empty row is the header.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from smartduty.kernel.errors import ValidationFailed

SUPPORTED_SUFFIXES: Final = (".xlsx", ".csv")
REQUIRED_FIELDS: Final = ("plate", "owner_name", "owner_phone")
FIELD_LABELS: Final = {
    "plate": "车牌号",
    "owner_name": "车主姓名",
    "owner_phone": "车主电话",
    "color": "号牌颜色",
}
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "plate": ("车牌号", "车牌", "车牌号码", "号牌号码", "plate", "plate_number", "plate_no"),
    "owner_name": ("车主姓名", "车主", "姓名", "owner_name", "owner", "name"),
    "owner_phone": (
        "车主电话",
        "车主手机",
        "联系电话",
        "手机号",
        "手机号码",
        "电话",
        "owner_phone",
        "phone",
        "mobile",
    ),
    "color": ("号牌颜色", "车牌颜色", "颜色", "color", "colour", "plate_color"),
}
_HEADER_LOOKUP: Final = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_ENCODINGS: Final = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be imported (format, encoding, headers, size)."""

    code = "import_file_invalid"
    default_message = "导入文件无法读取"


@dataclass(frozen=True)
class SheetRow:
    """One data row: its line number in the file (header = its own line) and its fields."""

    number: int
    plate: str
    owner_name: str
    owner_phone: str
    color: str


def suffix_of(filename: str) -> str:
    """Lower-case extension including the dot (`.xlsx`), or ''."""
    name = filename.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_rows(content: bytes, *, filename: str, max_rows: int) -> list[SheetRow]:
    """All non-empty data rows of an .xlsx or .csv file; raises `ImportFileError`."""
    suffix = suffix_of(filename)
    if suffix == ".xlsx":
        raw_rows = _xlsx_rows(content)
    elif suffix == ".csv":
        raw_rows = _csv_rows(content)
    else:
        raise ImportFileError("仅支持 .xlsx 或 .csv 文件")
    return _to_sheet_rows(raw_rows, max_rows=max_rows)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores phone numbers typed as numbers as floats
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("无法读取 Excel 文件，请确认文件为 .xlsx 格式且未损坏") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _decode(content: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别 CSV 文件编码，请另存为 UTF-8 或 GBK 编码")


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(content)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            yield number, [v.strip() for v in values]
    except csv.Error as exc:
        raise ImportFileError(f"CSV 文件格式错误：{exc}") from exc


def _header_key(cell: str) -> str:
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    for noise in ("*", "（必填）", "(必填)", "（选填）", "(选填)", " "):
        text = text.replace(noise, "")
    return text


def _columns(header: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _HEADER_LOOKUP.get(_header_key(cell))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [FIELD_LABELS[name] for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ImportFileError(
            "文件缺少必需的列："
            + "、".join(missing)
            + "（表头可用：车牌号/plate、车主姓名/owner_name、车主电话/owner_phone，"
            "可选 号牌颜色/color）"
        )
    return columns


def _pick(values: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return values[index] if index is not None and index < len(values) else ""


def _to_sheet_rows(raw_rows: Iterable[tuple[int, list[str]]], *, max_rows: int) -> list[SheetRow]:
    columns: dict[str, int] | None = None
    rows: list[SheetRow] = []
    for number, values in raw_rows:
        if not any(values):
            continue
        if columns is None:
            columns = _columns(values)
            continue

        rows.append(
            SheetRow(
                number=number,
                plate=_pick(values, columns, "plate"),
                owner_name=_pick(values, columns, "owner_name"),
                owner_phone=_pick(values, columns, "owner_phone"),
                color=_pick(values, columns, "color"),
            )
        )
        if len(rows) > max_rows:
            raise ImportFileError(f"文件行数超过上限：一次最多导入 {max_rows} 行")
    if columns is None:
        raise ImportFileError("文件为空：未找到表头行")
    return rows
