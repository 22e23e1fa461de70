"""THE place that builds PDFs (decision 0023): HTML from the print templates
(``adapters/templates/print/``, their own Jinja environment: print pages need no request,
session or navigation) turned into A4 PDF by WeasyPrint, with the Noto CJK fonts (Debian
``fonts-noto-cjk``) embedded as subsets. Used by the printed record forms and the case's 卷内目录
(through the web layer), the case-file export (web and CLI alike, decision 0033) and the
accountability report (``web.oversight_export.to_pdf``).

It lives among the adapters, not in ``web``, so that the CLI's ``archive export`` renders the
same forms officers print; it sees only the pure shapes of ``domain.printing``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lawtrail.domain.catalogue import AvRule
from lawtrail.domain.printing import CaseIndex, PrintedField, RecordForm, local_day, local_time
from lawtrail.domain.secrecy import LEVEL_LABELS, Level

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals.update(local_time=local_time, local_day=local_day, LEVEL_LABELS=LEVEL_LABELS, Level=Level,
                    AvRule=AvRule)


#: Every PDF is PDF/A-2b (ISO 19005-2, level B): fonts embedded, an sRGB output intent, XMP
#: metadata — the archival form a case file keeps for its retention period (decision 0041).
PDF_VARIANT = "pdf/a-2b"


def html_to_pdf(html: str) -> bytes:
    """Render a complete HTML document (its styles inline, no outside resources) to PDF/A-2b bytes."""
    from weasyprint import HTML  # imported here: it loads Pango, needed only when printing

    result = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant=PDF_VARIANT)
    assert isinstance(result, bytes)
    return result


@dataclass(frozen=True)
class FieldRow:
    """One row of the form's field table: two short fields side by side, or one wide field."""

    cells: tuple[PrintedField, ...]

    @property
    def wide(self) -> bool:
        return len(self.cells) == 1 and self.cells[0].wide


def field_rows(fields: list[PrintedField]) -> list[FieldRow]:
    """Short fields pair up (in catalogue order); a wide field (long text, many options) or a
    short field left alone before a wide one takes a row of its own."""
    rows: list[FieldRow] = []
    pending: PrintedField | None = None
    for f in fields:
        if f.wide:
            if pending is not None:
                rows.append(FieldRow((pending,)))
                pending = None
            rows.append(FieldRow((f,)))
        elif pending is None:
            pending = f
        else:
            rows.append(FieldRow((pending, f)))
            pending = None
    if pending is not None:
        rows.append(FieldRow((pending,)))
    return rows


def record_html(form: RecordForm) -> str:
    """The record's paper form as an HTML document (``print/record.html``)."""
    return _render("print/record.html", form=form, head=form.head, rows=field_rows(form.fields))


def record_pdf(form: RecordForm) -> bytes:
    """The record's paper form as an A4 PDF (a ``services.record_prints.RecordRenderer``)."""
    return html_to_pdf(record_html(form))


def index_html(index: CaseIndex) -> str:
    """The case's 卷内目录 as an HTML document (``print/case_index.html``)."""
    return _render("print/case_index.html", index=index, head=index.head)


def index_pdf(index: CaseIndex) -> bytes:
    return html_to_pdf(index_html(index))


def _render(name: str, **context: Any) -> str:
    return _env.get_template(name).render(**context)


__all__ = ["TEMPLATES", "FieldRow", "field_rows", "html_to_pdf", "index_html", "index_pdf", "record_html",
           "record_pdf"]
