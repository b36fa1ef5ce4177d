"""Reading spreadsheets: encodings, delimiters, headers and limits (no database)."""

from __future__ import annotations

import pytest

from smartduty.vehicles.sheets import ImportFileError, SheetRow, read_rows, suffix_of


def test_semicolon_csv_with_marked_headers() -> None:
    content = "车牌号*;车主姓名（必填）;车主电话;颜色\n鲁A12345;张三;13900000001;黄\n".encode()
    assert read_rows(content, filename="a.CSV", max_rows=10) == [
        SheetRow(
            number=2, plate="鲁A12345", owner_name="张三", owner_phone="13900000001", color="黄"
        )
    ]


def test_short_rows_and_leading_blank_lines() -> None:
    content = b"\n\nplate,owner_name,owner_phone\n\xe9\xb2\x81A12345,Li\n"
    assert read_rows(content, filename="x.csv", max_rows=10) == [
        SheetRow(number=4, plate="鲁A12345", owner_name="Li", owner_phone="", color="")
    ]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "x.csv", "文件为空"),
        (b"a,b\n", "x.txt", "仅支持 .xlsx 或 .csv 文件"),
        (b"\xff\xfe\x00\x81\x30", "x.csv", "无法识别 CSV 文件编码"),
        ("车牌号,车主姓名,车主电话\n" + "鲁A12345,张三,13900000001\n" * 3, "x.csv", "行数超过上限"),
    ],
)
def test_file_errors(content: bytes | str, filename: str, message: str) -> None:
    data = content.encode() if isinstance(content, str) else content
    with pytest.raises(ImportFileError, match=message):
        read_rows(data, filename=filename, max_rows=2)


def test_suffix_of() -> None:
    assert suffix_of("dir/清单.XLSX") == ".xlsx"
    assert suffix_of("no-suffix") == ""
