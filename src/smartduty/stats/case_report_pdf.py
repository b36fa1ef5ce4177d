"""The daily case report as a PDF (A4): a Chinese title, the KPI table per unit and a bar
chart of 结案率 / 按期结案率 per unit.

Pure rendering: a `CaseKpiTable` in, PDF bytes out. Chinese text uses the embedded CJK font
that the parking notice registers (`parking.notice_pdf.register_font`). Every piece of text
that came from a user or an admin (unit and district names) is XML-escaped before it goes
into a reportlab `Paragraph`, whose text is markup.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from smartduty.kernel.spreadsheets import ILLEGAL_CHARACTERS
from smartduty.parking.notice_pdf import register_font
from smartduty.stats.selectors.cases import CaseKpiRow, CaseKpiTable

HEADERS = ("单位", "受理", "立案", "应结案", "结案", "按期结案", "结案率", "按期结案率", "返工率")
_CLOSURE_COLOUR = colors.HexColor("#1F4E79")
_ON_TIME_COLOUR = colors.HexColor("#70AD47")
_CHART_MAX_BARS = 12
_LABEL_MAX_CHARS = 8


def _clean(text: str) -> str:
    """User text as safe markup: control characters removed, `<`, `>` and `&` escaped."""
    return escape(ILLEGAL_CHARACTERS.sub("", text))


def _pct(value: Decimal | None) -> str:
    return f"{value}%" if value is not None else "—"


def _short(text: str) -> str:
    text = ILLEGAL_CHARACTERS.sub("", text)
    return text if len(text) <= _LABEL_MAX_CHARS else text[: _LABEL_MAX_CHARS - 1] + "…"


def _row(row: CaseKpiRow, style: ParagraphStyle) -> list[object]:
    return [
        Paragraph(_clean(row.label), style),
        row.received,
        row.registered,
        row.due,
        row.closed,
        row.closed_on_time,
        _pct(row.closure_rate),
        _pct(row.on_time_rate),
        _pct(row.rework_rate),
    ]


def _chart(rows: list[CaseKpiRow], font: str, width: float) -> Drawing:
    """Grouped bars of 结案率 and 按期结案率 (%) per unit; units without a due case are left out."""
    shown = [r for r in rows if r.due][:_CHART_MAX_BARS]
    height = 70 * mm
    drawing = Drawing(width, height)
    drawing.add(
        String(0, height - 10, "各单位结案率 / 按期结案率（%）", fontName=font, fontSize=10)
    )
    if not shown:
        drawing.add(String(0, height / 2, "本日无应结案案件", fontName=font, fontSize=9))
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 25
    chart.width, chart.height = width - 130, height - 50
    chart.data = [
        [float(r.closure_rate or 0) for r in shown],
        [float(r.on_time_rate or 0) for r in shown],
    ]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.categoryAxis.categoryNames = [_short(r.label) for r in shown]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.bars[0].fillColor = _CLOSURE_COLOUR
    chart.bars[1].fillColor = _ON_TIME_COLOUR
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 90, height - 25
    legend.fontName = font
    legend.fontSize = 8
    legend.colorNamePairs = [(_CLOSURE_COLOUR, "结案率"), (_ON_TIME_COLOUR, "按期结案率")]
    drawing.add(legend)
    return drawing


def render_case_report_pdf(
    table: CaseKpiTable, *, district_name: str, generated_at: datetime | None = None
) -> bytes:
    """The report of one district and period (one day for the daily report)."""
    font = register_font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    text_style = ParagraphStyle("text", fontName=font, fontSize=9, leading=13)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    period = (
        f"{table.date_from:%Y年%m月%d日}"
        if table.date_from == table.date_to
        else f"{table.date_from:%Y年%m月%d日} 至 {table.date_to:%Y年%m月%d日}"
    )
    at = timezone.localtime(generated_at or timezone.now())
    total = table.total
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title="数字城管案件日报",
    )
    data: list[list[object]] = [list(HEADERS)]
    data += [_row(r, cell_style) for r in table.rows]
    data.append(_row(total, cell_style))
    grid = Table(data, repeatRows=1, colWidths=[44 * mm] + [17 * mm] * 8)
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), _CLOSURE_COLOUR),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#DDEBF7")),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story: list[Flowable] = [
        Paragraph(f"{_clean(district_name)}数字城管案件日报", title_style),
        Spacer(1, 3 * mm),
        Paragraph(f"统计日期：{period}　生成时间：{at:%Y-%m-%d %H:%M}", text_style),
        Paragraph(
            f"受理 {total.received} 件，立案 {total.registered} 件，应结案 {total.due} 件，"
            f"结案 {total.closed} 件，按期结案 {total.closed_on_time} 件；"
            f"结案率 {_pct(total.closure_rate)}，按期结案率 {_pct(total.on_time_rate)}。",
            text_style,
        ),
        Spacer(1, 4 * mm),
        grid,
        Spacer(1, 6 * mm),
        _chart(table.rows, font, doc.width),
        Spacer(1, 2 * mm),
        Paragraph(
            "口径：结案率 = 结案数 / 应结案数，按期结案率 = 按期结案数 / 应结案数（CJ/T 292）；"
            "应结案为处置时限在统计日内或在统计日内结案的已立案案件。",
            text_style,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
