"""Printed forms through the API (decision 0023): a record's paper form and a case's 卷内目录 as
PDF. The services check ``record:view`` and the clearance and record the print."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from lawtrail.services import record_prints as svc
from lawtrail.web import printing
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1", tags=["records"])
Who = Annotated[Principal, Depends(api_principal)]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "the PDF (A4)"}}


@router.get("/records/{record_id}/pdf", response_class=Response, responses=PDF)
def record_pdf(request: Request, record_id: UUID, who: Who,
               version: Annotated[int | None, Query(ge=1, le=100_000)] = None) -> Response:
    """The record's paper form (the latest version, or ``version``); one ``case:record:print`` event."""
    c = container(request)
    return printing.pdf_response(svc.print_record(c.uow(), who.ctx(request), c.catalogue, record_id,
                                                  printing.record_pdf, version))


@router.get("/cases/{case_id}/records/index.pdf", response_class=Response, responses=PDF)
def case_index_pdf(request: Request, case_id: UUID, who: Who) -> Response:
    """The case's 卷内目录; one ``case:record:print-index`` event."""
    c = container(request)
    return printing.pdf_response(svc.print_case_index(c.uow(), who.ctx(request), case_id, printing.index_pdf))
