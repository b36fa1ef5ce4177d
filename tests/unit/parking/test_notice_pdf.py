"""The printed notice: embedded CJK font, legible text, a QR code that matches, tidy layout."""

from __future__ import annotations

import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
import segno
from django.test import override_settings
from PIL import ExifTags, Image, ImageChops, ImageDraw
from reportlab.pdfbase import pdfmetrics

from smartduty.parking import links
from smartduty.parking.notice_pdf import (
    MM,
    NoticeData,
    NoticeFontMissing,
    _Photo,
    format_time,
    qr_matrix,
    register_font,
    render_notice_pdf,
    wrap_text,
)
from tests.pdf import rasterise
from tests.pdf import text as pdf_text

LAYOUTS: list[Literal["a6", "thermal80"]] = ["a6", "thermal80"]
NUMBER = "DQ-20261129-0007"
PLATE = "鲁PA1234"
OBSERVED = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)  # 18:30 in Asia/Shanghai


def _photo_jpeg() -> bytes:
    image = Image.new("RGB", (1600, 1200), (125, 135, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 800, 1600, 1200), fill=(80, 80, 85))
    draw.rounded_rectangle((300, 450, 1300, 950), 60, fill=(200, 30, 40))
    draw.ellipse((380, 850, 560, 1030), fill=(15, 15, 15))
    draw.ellipse((1040, 850, 1220, 1030), fill=(15, 15, 15))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _notice(**changes: object) -> NoticeData:
    token = links.make_notice_token(NUMBER, uuid.UUID(int=7), PLATE)
    fields: dict[str, object] = {
        "number": NUMBER,
        "plate": PLATE,
        "place": "东区人民路88号华联超市门前人行道",
        "observed_at": OBSERVED,
        "notified_at": OBSERVED + timedelta(minutes=1),
        "deadline_at": OBSERVED + timedelta(minutes=11),
        "officer_badge": "310123",
        "officer_name": "张三",
        "unit_name": "东区一中队",
        "district_name": "东区",
        "verify_url": links.notice_url(token),
        "photo_jpeg": _photo_jpeg(),
        "printed_at": OBSERVED + timedelta(minutes=12),
    }
    fields.update(changes)
    return NoticeData(**fields)  # type: ignore[arg-type]  # test helper passes loose kwargs


@pytest.fixture(scope="module")
def notice() -> NoticeData:
    return _notice()


def _page_size(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert match
    return float(match[1]), float(match[2])


def _dark_fraction(image: Image.Image, box_mm: tuple[float, float, float, float]) -> float:
    """Share of dark pixels inside (left, top, right, bottom) millimetres of a 100 dpi page."""
    px = 100 / 25.4
    left, top, right, bottom = (round(v * px) for v in box_mm)
    crop = image.convert("L").crop((left, top, right, bottom))
    histogram = crop.histogram()
    return sum(histogram[:128]) / max(1, crop.width * crop.height)


# -- font and text --------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pdf_embeds_the_cjk_font(notice: NoticeData, layout: Literal["a6", "thermal80"]) -> None:
    pdf = render_notice_pdf(notice, layout=layout)

    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf
    assert b"WenQuanYiMicroHei" in pdf
    assert b"STSong" not in pdf
    fonts = re.findall(rb"/BaseFont /([^\s/<>\[\]]+)", pdf)
    assert fonts
    assert all(re.fullmatch(rb"[A-Z]{6}\+WenQuanYiMicroHei-\d+", name) for name in fonts), fonts


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pdf_text_holds_title_plate_number_and_law(
    notice: NoticeData, layout: Literal["a6", "thermal80"]
) -> None:
    text = pdf_text(render_notice_pdf(notice, layout=layout))

    for expected in (
        "文明停车提示单",
        PLATE,
        NUMBER,
        "东区人民路88号",
        "2026年11月29日 18:30",
        "2026年11月29日 18:31",
        "310123（张三）",
        "第九十三条",
        "12345",
        "扫码核验真伪",
        "示范市城市管理局",
        "打印时间 2026年11月29日 18:42",
    ):
        assert expected in text, expected


def test_missing_sms_and_photo_are_stated() -> None:
    data = _notice(notified_at=None, deadline_at=None, photo_jpeg=None, officer_name=None)
    text = pdf_text(render_notice_pdf(data, layout="a6"))

    assert "未发送" in text
    assert "现场照片已存档" in text
    assert "限时驶离" not in text
    assert "（张三）" not in text


# -- raster ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rendered_page_shows_the_title_and_stays_inside_its_margins(
    notice: NoticeData, layout: Literal["a6", "thermal80"]
) -> None:
    pdf = render_notice_pdf(notice, layout=layout)
    page = rasterise(pdf)
    width_mm = page.width / 100 * 25.4
    height_mm = page.height / 100 * 25.4

    assert _dark_fraction(page, (0, 0, width_mm, height_mm)) > 0.03
    title = (30, 10, 75, 20) if layout == "a6" else (15, 4, 65, 12)
    assert _dark_fraction(page, title) > 0.05
    margin = 3 if layout == "a6" else 2
    for edge in (
        (0, 0, width_mm, margin),
        (0, height_mm - margin, width_mm, height_mm),
        (0, 0, margin, height_mm),
        (width_mm - margin, 0, width_mm, height_mm),
    ):
        assert _dark_fraction(page, edge) == 0, edge


def test_a6_is_a6_and_long_text_is_clipped_inside_it() -> None:
    long_place = "东区人民路88号华联超市门前人行道（近公交站台）" * 4
    data = _notice(place=long_place, legal_text="请依法停车。" * 120)
    pdf = render_notice_pdf(data, layout="a6")
    page = rasterise(pdf)

    assert _page_size(pdf) == pytest.approx((105 * MM, 148 * MM), abs=0.01)
    assert "…" in pdf_text(pdf)
    assert _dark_fraction(page, (0, 0, 105, 3)) == 0
    assert _dark_fraction(page, (0, 145, 105, 148)) == 0


def test_thermal_is_80_mm_wide_grows_with_content_and_is_monochrome(notice: NoticeData) -> None:
    with_photo = render_notice_pdf(notice, layout="thermal80")
    without_photo = render_notice_pdf(_notice(photo_jpeg=None), layout="thermal80")
    width, height = _page_size(with_photo)

    assert width == pytest.approx(80 * MM, abs=0.01)
    assert height > _page_size(without_photo)[1] + 30 * MM
    assert b"/DeviceRGB" not in with_photo
    red, green, blue = rasterise(with_photo).split()
    assert ImageChops.difference(red, green).getbbox() is None
    assert ImageChops.difference(green, blue).getbbox() is None


def test_a6_photo_keeps_its_colour(notice: NoticeData) -> None:
    pdf = render_notice_pdf(notice, layout="a6")
    red, green, _ = rasterise(pdf).split()

    assert b"/DCTDecode" in pdf
    assert ImageChops.difference(red, green).getbbox() is not None


# -- QR code --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_drawn_qr_code_matches_segno(
    notice: NoticeData, layout: Literal["a6", "thermal80"]
) -> None:
    """Sample the rendered modules at the link annotation over the symbol and compare."""
    pdf = render_notice_pdf(notice, layout=layout)
    number = rb"\s*([-\d.]+)"
    match = re.search(rb"/URI \(([^)]*)\).*?/Rect \[" + number * 4, pdf, re.DOTALL)
    assert match
    assert match[1].decode() == notice.verify_url
    x1, y1, x2, y2 = (float(v) for v in match.groups()[1:])
    dpi = 300
    page = rasterise(pdf, dpi=dpi).convert("L")
    expected = [list(row) for row in segno.make(notice.verify_url, error="m").matrix]
    count = len(expected)
    scale = dpi / 72
    module = (x2 - x1) * scale / count
    left, top = x1 * scale, (_page_size(pdf)[1] - y2) * scale

    def dark(row: float, col: float) -> int:
        point = (int(left + (col + 0.5) * module), int(top + (row + 0.5) * module))
        return int(page.getpixel(point) < 128)  # type: ignore[operator]  # L mode: int

    assert [[dark(r, c) for c in range(count)] for r in range(count)] == expected
    assert x2 - x1 == pytest.approx(y2 - y1, abs=0.01)
    assert (x2 - x1) / count >= 0.6 * MM  # modules big enough for a phone camera
    ring = range(-4, count + 4)
    quiet_zone = [(r, c) for r in ring for c in ring if not (0 <= r < count and 0 <= c < count)]
    assert not any(dark(r, c) for r, c in quiet_zone)  # 4 white modules all round
    assert [list(row) for row in qr_matrix(notice.verify_url)] == expected


# -- pieces ---------------------------------------------------------------------------------


def test_times_print_in_shanghai() -> None:
    assert format_time(OBSERVED) == "2026年11月29日 18:30"
    assert format_time(datetime(2026, 1, 4, 23, 5, tzinfo=UTC)) == "2026年1月5日 07:05"


def test_wrap_text_breaks_cjk_by_width_and_keeps_punctuation_and_words() -> None:
    font = register_font()
    text = (
        "请您尽快将车辆驶离，今后在规划的停车泊位内有序停放。"
        "拨打12345热线或访问 example.org/help 。"
    )
    lines = wrap_text(text, font, 10, 100)

    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert len(lines) > 3
    assert all(pdfmetrics.stringWidth(line, font, 10) <= 100 for line in lines)
    assert not any(line[0] in "，。、；：！？）》" for line in lines)
    assert any("12345" in line for line in lines)
    assert any("example.org/help" in line for line in lines)
    assert wrap_text("第一段\n第二段", font, 10, 100) == ["第一段", "第二段"]
    # Five 10 pt characters fill 50 pt: the comma pulls the 五 down, the 《 moves down.
    assert wrap_text("一二三四五，六七", font, 10, 50) == ["一二三四", "五，六七"]
    assert wrap_text("一二三四《五》", font, 10, 50) == ["一二三四", "《五》"]


def test_naive_times_and_empty_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _notice(observed_at=datetime(2026, 11, 29, 18, 30))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="plate"):
        _notice(plate=" ")


def test_unreadable_photo_is_refused() -> None:
    with pytest.raises(ValueError, match="photo_jpeg"):
        render_notice_pdf(_notice(photo_jpeg=b"not a jpeg"), layout="a6")


def test_unknown_layout_is_refused(notice: NoticeData) -> None:
    with pytest.raises(ValueError, match="layout"):
        render_notice_pdf(notice, layout="a4")  # type: ignore[arg-type]  # the point of the test


@override_settings(EVIDENCE_FONT_PATH="/nonexistent/wqy-microhei.ttc")
def test_missing_font_is_a_clear_error(notice: NoticeData) -> None:
    with pytest.raises(NoticeFontMissing, match="fonts-wqy-microhei"):
        render_notice_pdf(notice, layout="a6")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rendering_is_fast(notice: NoticeData, layout: Literal["a6", "thermal80"]) -> None:
    render_notice_pdf(notice, layout=layout)  # font registration happens once per process
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        render_notice_pdf(notice, layout=layout)
        best = min(best, time.perf_counter() - start)

    assert best < 0.3


def test_photo_is_drawn_upright_from_exif_orientation() -> None:
    image = Image.new("RGB", (400, 300), (200, 30, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: upright it is 300 wide, 400 tall
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    photo = _Photo.open(buffer.getvalue())

    assert (photo.width, photo.height) == (300, 400)
    assert photo.fit(300, 300) == pytest.approx((225, 300))
    reader = photo.reader(75, 100, dpi=144, mono=True)
    assert reader.getSize() == (150, 200)
