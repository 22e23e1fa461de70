"""PDFs for the web layer: the renderer itself is ``adapters.printing`` (shared with the CLI's
case-file export, decision 0033); here only the HTTP response that hands a print out."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from lawtrail.adapters.printing import (
    FieldRow,
    field_rows,
    html_to_pdf,
    index_html,
    index_pdf,
    record_html,
    record_pdf,
)
from lawtrail.services.record_prints import Printed


def pdf_response(printed: Printed) -> Response:
    """The PDF inline (the browser's viewer opens it; 打印 from there), with its Chinese file
    name (RFC 6266 ``filename*``), its digest as recorded in the print event, and no caching."""
    return Response(printed.content, media_type=printed.media_type, headers={
        "Content-Disposition": f"inline; filename=\"record.pdf\"; filename*=UTF-8''{quote(printed.filename)}",
        "X-Content-SHA256": printed.sha256, "Cache-Control": "no-store"})


__all__ = ["FieldRow", "field_rows", "html_to_pdf", "index_html", "index_pdf", "pdf_response", "record_html",
           "record_pdf"]
