"""Tables as files: CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese) and XLSX
(openpyxl, decision 0017). Each file starts with a title line naming what it is and its
confidentiality marking, so a printed or forwarded copy says what it is."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int


def _safe(value: Cell) -> Cell:
    """Neutralise spreadsheet formulas in text (CSV/XLSX injection): prefix '=+-@' with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(title: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title])
    writer.writerow(columns)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]], sheet: str = "Sheet1") -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(columns))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_safe(v) for v in row])
    ws.freeze_panes = "A3"
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(name) * 3))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
