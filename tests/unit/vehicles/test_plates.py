"""Plate normalisation and validation (GA 36-2018): a table of valid and invalid plates."""

from __future__ import annotations

import re

import pytest

from smartduty.vehicles.plates import (
    PLATE_REGEXES,
    PROVINCES,
    SERIAL_CHARS,
    InvalidPlate,
    PlateColor,
    PlateKind,
    allowed_chars_at,
    allowed_next_chars,
    check_plate,
    is_valid_plate,
    normalize_plate,
    parse_plate,
    resolve_color,
    suggest_corrections,
)

VALID = [
    # raw input, normalised, kind, default colour
    ("鲁P12345", "鲁P12345", PlateKind.ORDINARY, PlateColor.BLUE),
    ("鲁Ｐ１２３４５", "鲁P12345", PlateKind.ORDINARY, PlateColor.BLUE),  # full-width
    ("鲁p12345", "鲁P12345", PlateKind.ORDINARY, PlateColor.BLUE),  # lower case
    ("鲁 A·12345", "鲁A12345", PlateKind.ORDINARY, PlateColor.BLUE),  # space and middle dot
    ("京A-B1C23", "京AB1C23", PlateKind.ORDINARY, PlateColor.BLUE),  # dash, letters in serial
    ("京•AZ9999", "京AZ9999", PlateKind.ORDINARY, PlateColor.BLUE),  # bullet
    ("琼O12345", "琼O12345", PlateKind.ORDINARY, PlateColor.BLUE),  # authority letter O is fine
    ("鲁P1234挂", "鲁P1234挂", PlateKind.TRAILER, PlateColor.YELLOW),
    ("鲁P1234学", "鲁P1234学", PlateKind.COACH, PlateColor.YELLOW),
    ("鲁A1234警", "鲁A1234警", PlateKind.POLICE, PlateColor.WHITE),
    ("沪A1234领", "沪A1234领", PlateKind.CONSULATE, PlateColor.BLACK),
    ("粤Z1234港", "粤Z1234港", PlateKind.HK_MACAU, PlateColor.BLACK),
    ("粤Z·A123澳", "粤ZA123澳", PlateKind.HK_MACAU, PlateColor.BLACK),
    ("京AD12345", "京AD12345", PlateKind.NEV_SMALL, PlateColor.GREEN_SMALL),
    ("沪AF·B1234", "沪AFB1234", PlateKind.NEV_SMALL, PlateColor.GREEN_SMALL),
    ("粤BK01234", "粤BK01234", PlateKind.NEV_SMALL, PlateColor.GREEN_SMALL),  # new NEV letter
    ("辽D46234F", "辽D46234F", PlateKind.NEV_LARGE, PlateColor.GREEN_LARGE),
    ("浙ａ１２３４５ｄ", "浙A12345D", PlateKind.NEV_LARGE, PlateColor.GREEN_LARGE),  # full-width
]

INVALID = [
    # raw input, expected fragment of the Chinese message
    ("", "请输入车牌号"),
    ("鲁PI2345", "车牌号序号中不能包含字母 I 或 O"),
    ("鲁P1234O", "车牌号序号中不能包含字母 I 或 O"),
    ("京AO1234F", "车牌号序号中不能包含字母 I 或 O"),
    ("港A12345", "省份简称无效"),
    ("AB12345", "省份简称无效"),
    ("鲁112345", "发牌机关代号无效"),
    ("鲁P1234", "车牌长度应为 7 位（新能源 8 位）"),
    ("鲁P1234567", "车牌长度应为 7 位（新能源 8 位）"),
    ("鲁P12长45", "第 5 位字符“长”无效"),
    ("鲁A1234港", "港澳入出境车牌应以“粤Z”开头"),
    ("粤A1234澳", "港澳入出境车牌应以“粤Z”开头"),
    ("鲁AZ12345", "新能源车牌格式无效"),  # Z is not an NEV letter
    ("鲁AD1234A", "新能源车牌格式无效"),  # small NEV: last four must be digits
    ("鲁A1234DF", "新能源车牌格式无效"),  # large NEV: five digits first
    ("鲁A12345挂", "新能源车牌格式无效"),  # 8 chars with a suffix
]


@pytest.mark.parametrize(("raw", "text", "kind", "color"), VALID)
def test_valid_plates(raw: str, text: str, kind: PlateKind, color: PlateColor) -> None:
    info = parse_plate(raw)
    assert (info.text, info.kind, info.default_color, info.length) == (text, kind, color, len(text))
    assert is_valid_plate(raw)
    assert suggest_corrections(raw) == []
    assert re.fullmatch(PLATE_REGEXES[kind], text)
    result = check_plate(raw)
    assert result.valid
    assert (result.normalized, result.kind, result.color, result.message) == (text, kind, color, "")


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_invalid_plates(raw: str, message: str) -> None:
    with pytest.raises(InvalidPlate) as caught:
        parse_plate(raw)
    assert message in caught.value.message
    assert caught.value.status == 422
    assert not is_valid_plate(raw)
    normalized = normalize_plate(raw)
    assert not any(re.fullmatch(rx, normalized) for rx in PLATE_REGEXES.values())
    result = check_plate(raw)
    assert not result.valid
    assert message in result.message
    assert result.kind is None


def test_normalize_plate() -> None:
    assert normalize_plate("  鲁ｐ·１２３－４５ ") == "鲁P12345"
    assert normalize_plate("鲁\u3000A 12.345") == "鲁A12345"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("鲁PI2345", ["鲁P12345"]),
        ("鲁P1234O", ["鲁P12340"]),
        ("鲁PI2O45", ["鲁P12045"]),  # both fixes are needed
        ("京AO1234F", ["京A01234F"]),
        ("鲁OI2345", ["鲁O12345"]),  # the authority letter O is kept
        ("鲁P12345", []),  # already valid
        ("鲁PX234", []),  # nothing to fix
    ],
)
def test_suggest_corrections(raw: str, expected: list[str]) -> None:
    assert suggest_corrections(raw) == expected
    assert list(check_plate(raw).suggestions) == expected


def test_templates_never_overlap() -> None:
    samples = [text for _, text, _, _ in VALID]
    for text in samples:
        matches = [kind for kind, rx in PLATE_REGEXES.items() if re.fullmatch(rx, text)]
        assert len(matches) == 1, text


def test_allowed_chars_at() -> None:
    assert allowed_chars_at(0, 7) == frozenset(PROVINCES)
    assert allowed_chars_at(1, 8) == frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert allowed_chars_at(2, 7) == SERIAL_CHARS
    assert "I" not in allowed_chars_at(3, 7)
    assert allowed_chars_at(6, 7) == SERIAL_CHARS | frozenset("挂学警领港澳")
    assert allowed_chars_at(2, 8) == frozenset("0123456789DABCEFGHJK")
    assert allowed_chars_at(7, 8) == frozenset("0123456789DABCEFGHJK")
    assert allowed_chars_at(7, 7) == frozenset()


def test_allowed_next_chars_follows_the_prefix() -> None:
    assert allowed_next_chars("") == frozenset(PROVINCES)
    assert "港" in allowed_next_chars("粤Z1234")
    assert "港" not in allowed_next_chars("鲁A1234")
    assert allowed_next_chars("京AD", length=8) == SERIAL_CHARS
    assert allowed_next_chars("京AD1", length=8) == frozenset("0123456789")
    assert allowed_next_chars("京A1", length=8) == frozenset("0123456789")
    assert allowed_next_chars("辽D4623", length=8) == frozenset("0123456789")
    assert allowed_next_chars("辽D46234", length=8) == frozenset("DABCEFGHJK")
    assert allowed_next_chars("鲁PI") == frozenset()
    assert allowed_next_chars("鲁P12345", length=7) == frozenset()


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("", PlateKind.ORDINARY, PlateColor.BLUE),
        ("黄", PlateKind.ORDINARY, PlateColor.YELLOW),
        ("黑色", PlateKind.ORDINARY, PlateColor.BLACK),
        ("Blue", PlateKind.ORDINARY, PlateColor.BLUE),
        ("蓝牌", PlateKind.ORDINARY, PlateColor.BLUE),
        ("绿", PlateKind.NEV_SMALL, PlateColor.GREEN_SMALL),
        ("绿色", PlateKind.NEV_LARGE, PlateColor.GREEN_LARGE),
        ("green_large", PlateKind.NEV_LARGE, PlateColor.GREEN_LARGE),
        ("渐变绿", PlateKind.NEV_SMALL, PlateColor.GREEN_SMALL),
    ],
)
def test_resolve_color(raw: str, kind: PlateKind, expected: PlateColor) -> None:
    assert resolve_color(raw, kind) == expected


def test_resolve_color_rejects_unknown_and_mismatched() -> None:
    with pytest.raises(InvalidPlate, match="号牌颜色无效"):
        resolve_color("紫", PlateKind.ORDINARY)
    with pytest.raises(InvalidPlate, match="号牌颜色与号牌种类不符"):
        resolve_color("蓝", PlateKind.NEV_SMALL)
    with pytest.raises(InvalidPlate, match="号牌颜色与号牌种类不符"):
        resolve_color("white", PlateKind.TRAILER)
