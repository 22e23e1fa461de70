"""Printed forms from the pages (decision 0023): the 打印 button of a record opens its paper form,
the case's 记录 section links its 卷内目录. Permission checks and the print event live in
``services.record_prints``."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from lawtrail.domain.events import Action
from lawtrail.services import record_prints as svc
from lawtrail.web import printing
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.trail import ACTION_LABELS, FIELD_LABELS

router = APIRouter()
Who = Depends(ui_principal)

ACTION_LABELS.update({Action.RECORD_PRINT: "打印记录", Action.RECORD_PRINT_INDEX: "打印卷内目录"})
FIELD_LABELS.setdefault("version", "版本")
FIELD_LABELS.setdefault("kind_id", "记录事项")
FIELD_LABELS.setdefault("records", "记录数")


@router.get("/records/{record_id}/print.pdf")
def record_print(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    c = container(request)
    raw = request.query_params.get("version", "")
    return printing.pdf_response(svc.print_record(c.uow(), who.ctx(request), c.catalogue, record_id,
                                                  printing.record_pdf, int(raw) if raw.isdigit() else None))


@router.get("/cases/{case_id}/records/index.pdf")
def case_index_print(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    c = container(request)
    return printing.pdf_response(svc.print_case_index(c.uow(), who.ctx(request), case_id, printing.index_pdf))
