"""The accountability report as an XLSX workbook (openpyxl) and as a PDF (WeasyPrint, with the
Noto CJK font for the Chinese text) — decision 0020."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.oversight import ART48_LABELS, CATEGORIES
from lawtrail.services.oversight import Report
from lawtrail.web.printing import html_to_pdf

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_HEADERS = [f"{ART48_LABELS[c][0]}{ART48_LABELS[c][1]}" for c in CATEGORIES]
ITEM_HEADERS = ["时间", "问责情形", "依据", "对象", "执法机构", "直接责任人员", "情况说明"]
HEAD_FILL = PatternFill("solid", fgColor="1F5FBF")


def local(value: Any) -> str:
    return value.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def period_text(report: Report) -> str:
    start = report.period.start.astimezone(BUREAU_TZ).strftime("%Y-%m-%d") if report.period.start else "不限"
    end = report.period.end.astimezone(BUREAU_TZ).strftime("%Y-%m-%d") if report.period.end else "不限"
    return f"{start} 至 {end}"


def people_text(report: Report, people: tuple[str, ...]) -> str:
    return "、".join(report.person(p) for p in people) or "待查明"


def _sheet_head(ws: Any, headers: list[str]) -> None:
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(vertical="center")


def to_xlsx(report: Report) -> bytes:
    """Three sheets: 问责事项 (every item), 按机构 and 按人员 (counts per Art. 48 kind)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "问责事项"
    ws.append(["问责报告（《行政执法全过程记录制度》第四十八条）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"期间：{period_text(report)}", f"生成：{local(report.generated_at)} {report.generated_by}"])
    _sheet_head(ws, ITEM_HEADERS)
    for item in report.items:
        ws.append([local(item.at), item.label_zh, item.article, item.subject_name,
                   report.unit_names.get(item.unit_id or "", "待查明"), people_text(report, item.people),
                   item.message_zh])
    for column, width in zip("ABCDEFG", (17, 26, 12, 34, 22, 18, 70), strict=True):
        ws.column_dimensions[column].width = width
    for title, rows, first in (("按机构", report.by_unit, ["执法机构"]),
                               ("按人员", report.by_officer, ["直接责任人员", "执法机构"])):
        sheet = wb.create_sheet(title)
        _sheet_head(sheet, [*first, *KIND_HEADERS, "合计"])
        for row in rows:
            lead = [row.name] if len(first) == 1 else [row.name, row.unit_name]
            sheet.append([*lead, *(row.counts.get(c, 0) for c in CATEGORIES), row.total])
        for i in range(len(first) + len(CATEGORIES) + 1):
            sheet.column_dimensions[chr(ord("A") + i)].width = 22 if i < len(first) else 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(html: str) -> bytes:
    """Render the report's print page (``oversight_report_print.html``) to PDF (``web.printing``:
    the one place that builds PDFs)."""
    return html_to_pdf(html)
