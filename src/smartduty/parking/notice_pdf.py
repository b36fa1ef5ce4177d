"""The printed 文明停车提示单 (civil-parking notice): an A6 sheet or an 80 mm thermal receipt.

Pure rendering: a `NoticeData` in, PDF bytes out; no models, no database, no clock except the
print time when the caller leaves it out. Chinese text uses an embedded TrueType CJK font
(WenQuanYi Micro Hei from ``settings.EVIDENCE_FONT_PATH``), never reportlab's built-in
STSong-Light, which is not embedded and prints as squares on viewers that lack it.

The QR code is drawn as vector squares from `segno.make(verify_url, error="m")` and carries a
link annotation over the exact symbol area, so a PDF viewer can open it too.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

Layout = Literal["a6", "thermal80"]

MM: Final = 72 / 25.4  # points per millimetre
DEFAULT_FONT_PATH: Final = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PRINT_TZ: Final = ZoneInfo("Asia/Shanghai")
DEFAULT_ISSUER: Final = "示范市城市管理局"
DEFAULT_LEGAL_TEXT: Final = (
    "本单为文明停车提示，不是行政处罚决定。依据《中华人民共和国道路交通安全法》第九十三条，"
    "对违反规定停放机动车的，执法人员可以指出违法行为并令其立即驶离；驾驶人不在现场或拒绝驶离、"
    "妨碍其他车辆和行人通行的，可依法处以罚款，并可将车辆拖移。请您尽快将车辆驶离，"
    "今后在规划的停车泊位内有序停放。如有异议，请扫描本单二维码核验并提出申诉，"
    "或拨打12345政务服务便民热线。"
)
QR_CAPTION: Final = ("扫码核验真伪", "查看详情与申诉")


class NoticeFontMissing(ImproperlyConfigured):
    """The CJK font for notices is missing or unreadable; nothing would print legibly."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeData:
    """Everything printed on one notice. Instants must be timezone-aware."""

    number: str
    plate: str
    place: str
    observed_at: datetime
    officer_badge: str
    unit_name: str
    district_name: str
    verify_url: str
    city_name: str = "示范市"
    notified_at: datetime | None = None
    deadline_at: datetime | None = None
    officer_name: str | None = None
    photo_jpeg: bytes | None = field(default=None, repr=False)
    legal_text: str = DEFAULT_LEGAL_TEXT
    issuer: str = DEFAULT_ISSUER
    printed_at: datetime | None = None  # None: the time of rendering

    def __post_init__(self) -> None:
        for name in ("number", "plate", "place", "officer_badge", "verify_url", "issuer"):
            if not getattr(self, name).strip():
                raise ValueError(f"NoticeData.{name} must not be empty")
        for name in ("observed_at", "notified_at", "deadline_at", "printed_at"):
            value = getattr(self, name)
            if value is not None and timezone.is_naive(value):
                raise ValueError(f"NoticeData.{name} must be timezone-aware")


def render_notice_pdf(data: NoticeData, *, layout: Layout) -> bytes:
    """One-page PDF of the notice: ``"a6"`` (105 × 148 mm) or ``"thermal80"`` (80 mm roll)."""
    font = register_font()
    buffer = io.BytesIO()
    if layout == "a6":
        _render_a6(buffer, data, font)
    elif layout == "thermal80":
        _render_thermal(buffer, data, font)
    else:
        raise ValueError(f"unknown notice layout {layout!r}")
    return buffer.getvalue()


def format_time(value: datetime) -> str:
    """``2026年11月29日 18:30`` in Asia/Shanghai."""
    local = value.astimezone(PRINT_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The QR modules drawn for `url` (1 = dark), without the quiet zone."""
    return tuple(segno.make(url, error="m", micro=False).matrix)


# -- font -----------------------------------------------------------------------------------

_font_lock = threading.Lock()
_font_names: dict[str, str] = {}


def register_font() -> str:
    """The reportlab name of the notice font, registered once per font file."""
    path = str(getattr(settings, "EVIDENCE_FONT_PATH", "") or DEFAULT_FONT_PATH)
    with _font_lock:
        name = _font_names.get(path)
        if name is None:
            if not Path(path).is_file():
                raise NoticeFontMissing(
                    f"notice font {path!r} not found: install the Debian package "
                    "fonts-wqy-microhei or set SMARTDUTY_EVIDENCE__FONT_PATH to a TTF/TTC font"
                )
            name = "WQY" if not _font_names else f"WQY{len(_font_names)}"
            try:
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
            except (TTFError, OSError) as exc:
                raise NoticeFontMissing(f"notice font {path!r} is not a usable TTF") from exc
            _font_names[path] = name
        return name


# -- text -----------------------------------------------------------------------------------

_NO_LINE_START: Final = frozenset("，。、；：！？）》」』”’〕】…—·,.;:!?)]}%")
_NO_LINE_END: Final = frozenset("（《「『“‘〔【([{")
_UNIT_RE: Final = re.compile(r"[A-Za-z0-9@#&+\-./:_=?%]+|\s+|.")


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width` points, breaking between CJK characters.

    Latin words and numbers stay whole unless wider than a line; closing punctuation never
    starts a line and opening punctuation never ends one.
    """

    def measure(s: str) -> float:
        return float(pdfmetrics.stringWidth(s, font, size))

    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line: list[str] = []
        for word in _UNIT_RE.findall(paragraph):
            for unit in list(word) if measure(word) > width else [word]:
                if unit.isspace() or not line or measure("".join([*line, unit])) <= width:
                    if line or not unit.isspace():
                        line.append(unit)
                    continue
                carry: list[str] = []
                if unit[0] in _NO_LINE_START and len(line) > 1:
                    carry.append(line.pop())
                while len(line) > 1 and line[-1] in _NO_LINE_END:
                    carry.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line = [*carry, unit]
                while line and line[0].isspace():
                    line.pop(0)
        lines.append("".join(line).rstrip())
    return lines


def _clip_lines(lines: list[str], limit: int, font: str, size: float, width: float) -> list[str]:
    """At most `limit` lines; an ellipsis marks what was cut."""
    if len(lines) <= limit:
        return lines
    last = lines[limit - 1]
    while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
        last = last[:-1]
    return [*lines[: limit - 1], last + "…"]


# -- drawing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pen:
    """A canvas with the notice font; `mono` keeps every mark pure black (thermal paper)."""

    canvas: Any  # reportlab.pdfgen.canvas.Canvas, untyped
    font: str
    mono: bool

    def width(self, text: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(text, self.font, size))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: Literal["left", "center", "right"] = "left",
        gray: float = 0.0,
    ) -> None:
        """Draw one line with its baseline at `y`; bold is faked by stroking the outline."""
        if align != "left":
            x -= self.width(text, size) / (2 if align == "center" else 1)
        c = self.canvas
        c.saveState()
        shade = 0.0 if self.mono else gray
        c.setFillGray(shade)
        c.setStrokeGray(shade)
        obj = c.beginText(x, y)
        obj.setFont(self.font, size)
        if bold:
            c.setLineWidth(size * 0.02)
            obj.setTextRenderMode(2)
        obj.textOut(text)
        c.drawText(obj)
        c.restoreState()

    def lines(self, x: float, top: float, lines: list[str], size: float, leading: float) -> None:
        """Draw lines whose first line box starts at `top`."""
        for index, line in enumerate(lines):
            self.text(x, top - index * leading - size * 0.88, line, size)

    def rule(self, x1: float, x2: float, y: float, width: float, *, dash: bool = False) -> None:
        c = self.canvas
        c.saveState()
        c.setStrokeGray(0)
        c.setLineWidth(width)
        if dash:
            c.setDash(2, 1.5)
        c.line(x1, y, x2, y)
        c.restoreState()

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        """The QR symbol (no quiet zone) in the square at (`x`, `y`) bottom-left, `size` wide."""
        matrix = qr_matrix(url)
        module = size / len(matrix)
        c = self.canvas
        path = c.beginPath()
        for row_index, row in enumerate(matrix):
            top = y + size - (row_index + 1) * module
            col = 0
            while col < len(row):
                if not row[col]:
                    col += 1
                    continue
                start = col
                while col < len(row) and row[col]:
                    col += 1
                path.rect(x + start * module, top, (col - start) * module, module)
        c.saveState()
        c.setFillGray(0)
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()
        c.linkURL(url, (x, y, x + size, y + size), relative=0)

    def photo(self, photo: _Photo, x: float, y: float, w: float, h: float, *, dpi: int) -> None:
        """The photo scaled to fit the box, centred; dithered to black and white if `mono`."""
        draw_w, draw_h = photo.fit(w, h)
        left, bottom = x + (w - draw_w) / 2, y + (h - draw_h) / 2
        c = self.canvas
        c.drawImage(
            photo.reader(draw_w, draw_h, dpi=dpi, mono=self.mono), left, bottom, draw_w, draw_h
        )
        c.saveState()
        c.setStrokeGray(0 if self.mono else 0.35)
        c.setLineWidth(0.4)
        c.rect(left, bottom, draw_w, draw_h, stroke=1, fill=0)
        c.restoreState()


@dataclass(frozen=True, slots=True)
class _Photo:
    """The evidence photo and its upright size; decoded only when drawn, at the size drawn."""

    jpeg: bytes
    width: int
    height: int

    @classmethod
    def open(cls, jpeg: bytes) -> _Photo:
        try:
            with Image.open(io.BytesIO(jpeg)) as source:
                width, height = source.size
                if source.getexif().get(ExifTags.Base.Orientation) in {5, 6, 7, 8}:
                    width, height = height, width
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError("NoticeData.photo_jpeg is not a readable image") from exc
        return cls(jpeg, width, height)

    def fit(self, box_w: float, box_h: float) -> tuple[float, float]:
        """The drawn size, in points, of the photo scaled to fit the box."""
        scale = min(box_w / self.width, box_h / self.height)
        return self.width * scale, self.height * scale

    def reader(self, draw_w: float, draw_h: float, *, dpi: int, mono: bool) -> ImageReader:
        """The image to embed: a JPEG in colour, or 1-bit dithered at the printer's dots."""
        pixels = (max(1, round(draw_w / 72 * dpi)), max(1, round(draw_h / 72 * dpi)))
        mode = "L" if mono else "RGB"
        try:
            with Image.open(io.BytesIO(self.jpeg)) as source:
                rotated = source.width != self.width
                source.draft(mode, (pixels[1], pixels[0]) if rotated else pixels)  # DCT scaling
                image = ImageOps.exif_transpose(source).convert(mode)
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError("NoticeData.photo_jpeg is not a readable image") from exc
        if mono or pixels[0] < image.width:
            image = image.resize(pixels, Image.Resampling.LANCZOS, reducing_gap=2.0)
        if mono:
            return ImageReader(image.convert("1", dither=Image.Dither.FLOYDSTEINBERG).convert("L"))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        buffer.seek(0)
        return ImageReader(buffer)


def _new_canvas(buffer: io.BytesIO, data: NoticeData, font: str, size: tuple[float, float]) -> Any:
    c = Canvas(buffer, pagesize=size, initialFontName=font, initialFontSize=9, lang="zh-CN")
    c.setTitle(f"文明停车提示单 {data.number}")
    c.setAuthor(data.issuer)
    c.setSubject("文明停车提示单")
    c.setCreator("smartduty")
    return c


def _fields(data: NoticeData) -> list[tuple[str, str]]:
    """The table rows after the plate: (label, value)."""
    notified = format_time(data.notified_at) if data.notified_at else "未发送"
    officer = data.officer_badge + (f"（{data.officer_name}）" if data.officer_name else "")
    unit = data.unit_name
    if not unit.startswith(data.district_name):
        unit = f"{data.district_name}{unit}"
    rows = [
        ("停放地点", data.place),
        ("发现时间", format_time(data.observed_at)),
        ("短信提醒时间", notified),
    ]
    if data.deadline_at:
        rows.append(("限时驶离", f"{format_time(data.deadline_at)}前"))
    rows += [("执法人员证号", officer), ("所属单位", unit)]
    return rows


def _issued_in(data: NoticeData) -> str:
    return " · ".join(part for part in (data.city_name, data.district_name) if part)


def _printed(data: NoticeData) -> str:
    return "打印时间 " + format_time(data.printed_at or timezone.now())


def _fit_size(pen: _Pen, text: str, size: float, width: float) -> float:
    """`size`, or smaller so that `text` fits on one line of `width`."""
    return min(size, size * width / max(pen.width(text, size), 1.0))


# -- A6 -------------------------------------------------------------------------------------

A6_SIZE: Final = (105 * MM, 148 * MM)
_A6_MARGIN: Final = 6 * MM
_A6_MIN_BAND: Final = 30 * MM  # photo and QR code: QR at least 20 mm plus its caption
_A6_LEGAL_SIZES: Final = (7.0, 6.6, 6.2, 5.8)


def _render_a6(buffer: io.BytesIO, data: NoticeData, font: str) -> None:
    page_w, page_h = A6_SIZE
    left, right = _A6_MARGIN, page_w - _A6_MARGIN
    width = right - left
    c = _new_canvas(buffer, data, font, A6_SIZE)
    pen = _Pen(c, font, mono=False)

    # Header: place of issue and number, title, double rule.
    y = page_h - _A6_MARGIN
    pen.text(left, y - 7, _issued_in(data), 7.5, gray=0.3)
    number = f"编号 {data.number}"
    pen.text(right, y - 7, number, _fit_size(pen, number, 8, width * 0.6), align="right")
    y -= 5 * MM
    pen.text(page_w / 2, y - 16, "文明停车提示单", 17, bold=True, align="center")
    y -= 8.5 * MM
    pen.rule(left, right, y, 1.1)
    pen.rule(left, right, y - 0.9 * MM, 0.35)
    y = _a6_table(pen, data, left, y - 3 * MM, width) - 4 * MM

    # Footer, then the legal text above it; the photo and QR band takes the rest.
    pen.rule(left, right, _A6_MARGIN + 4.2 * MM, 0.35)
    pen.text(left, _A6_MARGIN + 1 * MM, data.issuer, 7.5)
    pen.text(right, _A6_MARGIN + 1 * MM, _printed(data), 6.5, align="right", gray=0.3)
    floor = _A6_MARGIN + 6.5 * MM
    room = y - floor - 2.5 * MM  # band + gap + legal text
    for size in _A6_LEGAL_SIZES:
        leading = size * 1.45
        legal = wrap_text(data.legal_text, font, size, width)
        if room - len(legal) * leading >= 34 * MM:
            break
    legal = _clip_lines(legal, max(1, int((room - _A6_MIN_BAND) / leading)), font, size, width)
    band_bottom = floor + len(legal) * leading + 2.5 * MM
    _a6_band(pen, data, left=left, right=right, bottom=band_bottom, top=y)
    pen.lines(left, band_bottom - 2.5 * MM, legal, size, leading)
    c.showPage()
    c.save()


def _a6_table(pen: _Pen, data: NoticeData, left: float, top: float, width: float) -> float:
    """The field table; returns its bottom."""
    label_w, pad = 20 * MM, 1.8 * MM
    value_w = width - label_w - 2 * pad
    size, leading, label_size = 8.0, 10.5, 7.5
    rows: list[tuple[str, list[str], float]] = [("车牌号码", [data.plate], 9.5 * MM)]
    for label, value in _fields(data):
        lines = _clip_lines(wrap_text(value, pen.font, size, value_w), 2, pen.font, size, value_w)
        rows.append((label, lines, (len(lines) - 1) * leading + size + 3.6 * MM))
    height = sum(row[2] for row in rows)
    c = pen.canvas
    c.saveState()
    c.setFillGray(0.92)
    c.rect(left, top - height, label_w, height, stroke=0, fill=1)
    c.setStrokeGray(0)
    c.setLineWidth(0.3)
    c.line(left + label_w, top, left + label_w, top - height)
    c.restoreState()
    y = top
    for index, (label, lines, row_h) in enumerate(rows):
        middle = y - row_h / 2
        pen.text(left + pad, middle - label_size * 0.38, label, label_size)
        x = left + label_w + pad
        if index == 0:
            plate_size = _fit_size(pen, data.plate, 16, value_w)
            pen.text(x, middle - plate_size * 0.38, data.plate, plate_size, bold=True)
        else:
            pen.lines(x, middle + (size + (len(lines) - 1) * leading) / 2, lines, size, leading)
        y -= row_h
        if index < len(rows) - 1:
            pen.rule(left, left + width, y, 0.3)
    c.saveState()
    c.setLineWidth(0.8)
    c.rect(left, y, width, height, stroke=1, fill=0)
    c.restoreState()
    return y


def _a6_band(
    pen: _Pen, data: NoticeData, *, left: float, right: float, bottom: float, top: float
) -> None:
    """Photo on the left, QR code with its caption on the right."""
    caption_size, caption_leading = 6.8, 8.8
    caption_h = caption_size + caption_leading
    modules = len(qr_matrix(data.verify_url))
    # The symbol plus a 4-module quiet zone below it (above: the gap under the table).
    fitted = (top - bottom - caption_h) / (1 + 4 / modules)
    qr_size = max(20 * MM, min(32 * MM, fitted))
    quiet = 4 * qr_size / modules
    qr_x = right - qr_size
    qr_y = top - qr_size
    pen.qr(data.verify_url, qr_x, qr_y, qr_size)
    for index, line in enumerate(QR_CAPTION):
        baseline = qr_y - quiet - caption_size * 0.88 - index * caption_leading
        pen.text(qr_x + qr_size / 2, baseline, line, caption_size, align="center")

    box_w, box_h = qr_x - max(quiet, 3 * MM) - left, top - bottom
    if data.photo_jpeg:
        photo = _Photo.open(data.photo_jpeg)
        pen.photo(photo, left, bottom, box_w, box_h, dpi=250)
        return
    c = pen.canvas
    c.saveState()
    c.setStrokeGray(0.6)
    c.setLineWidth(0.4)
    c.setDash(2, 2)
    c.rect(left, bottom, box_w, box_h, stroke=1, fill=0)
    c.restoreState()
    middle = bottom + box_h / 2
    pen.text(left + box_w / 2, middle + 1, "现场照片已存档", 8, align="center", gray=0.45)
    pen.text(left + box_w / 2, middle - 10, "扫码可查看", 7, align="center", gray=0.45)


# -- thermal 80 mm --------------------------------------------------------------------------

THERMAL_WIDTH: Final = 80 * MM
_THERMAL_MARGIN: Final = 4 * MM  # 72 mm printable
_THERMAL_DPI: Final = 203  # 8 dots per millimetre
_THERMAL_QR: Final = 48 * MM

_Block = tuple[float, Callable[[float], None]]  # (height, draw(top))


def _render_thermal(buffer: io.BytesIO, data: NoticeData, font: str) -> None:
    """A receipt as tall as its content: blocks are measured first, then drawn top-down."""
    left, right = _THERMAL_MARGIN, THERMAL_WIDTH - _THERMAL_MARGIN
    width, centre = right - left, THERMAL_WIDTH / 2
    c = _new_canvas(buffer, data, font, (THERMAL_WIDTH, THERMAL_WIDTH))
    pen = _Pen(c, font, mono=True)

    def lines_block(
        text: str, size: float, *, bold: bool = False, centred: bool = True, gap: float = 0
    ) -> _Block:
        lines = wrap_text(text, font, size, width)
        leading = size * (1.35 if centred else 1.45)

        def draw(top: float) -> None:
            for index, line in enumerate(lines):
                baseline = top - size * 0.88 - index * leading
                if centred:
                    pen.text(centre, baseline, line, size, bold=bold, align="center")
                else:
                    pen.text(left, baseline, line, size, bold=bold)

        return (len(lines) - 1) * leading + size + gap, draw

    def rule_block() -> _Block:
        gap = 4 * MM
        return gap, lambda top: pen.rule(left, right, top - gap / 2, 0.6, dash=True)

    def field_block(label: str, value: str, size: float = 9.5) -> _Block:
        label_w, label_size = 22 * MM, 9.0
        lines = wrap_text(value, font, size, width - label_w)
        leading = size * 1.35

        def draw(top: float) -> None:
            first_middle = top - size / 2
            pen.text(left, first_middle - label_size * 0.38, label, label_size)
            for index, line in enumerate(lines):
                baseline = top - size * 0.88 - index * leading
                pen.text(left + label_w, baseline, line, size, bold=size > 12)

        return (len(lines) - 1) * leading + size + 1.8 * MM, draw

    blocks: list[_Block] = [
        lines_block("文明停车提示单", 18, bold=True, gap=2 * MM),
        lines_block(_issued_in(data), 9, gap=1 * MM),
        lines_block(f"编号 {data.number}", 10),
        rule_block(),
        field_block("车牌号码", data.plate, _fit_size(pen, data.plate, 20, width - 22 * MM)),
        *(field_block(label, value) for label, value in _fields(data)),
        rule_block(),
    ]
    if data.photo_jpeg:
        photo = _Photo.open(data.photo_jpeg)
        photo_h = photo.fit(width, 56 * MM)[1]
        blocks.append(
            (
                photo_h + 4 * MM,
                lambda top: pen.photo(photo, left, top - photo_h, width, photo_h, dpi=_THERMAL_DPI),
            )
        )
    quiet = 4 * _THERMAL_QR / len(qr_matrix(data.verify_url))  # white around the symbol
    blocks += [
        lines_block(data.legal_text, 8.5, centred=False, gap=max(5 * MM, quiet)),
        (
            _THERMAL_QR + quiet,
            lambda top: pen.qr(
                data.verify_url, centre - _THERMAL_QR / 2, top - _THERMAL_QR, _THERMAL_QR
            ),
        ),
        lines_block(" / ".join(QR_CAPTION), 9),
        rule_block(),
        lines_block(data.issuer, 9.5, gap=1.5 * MM),
        lines_block(_printed(data), 8.5, gap=8 * MM),  # paper to tear off
    ]
    height = 2 * _THERMAL_MARGIN + sum(block_h for block_h, _ in blocks)
    c.setPageSize((THERMAL_WIDTH, height))
    top = height - _THERMAL_MARGIN
    for block_h, draw in blocks:
        draw(top)
        top -= block_h
    c.showPage()
    c.save()
