"""The home page's lists per role (工作台) and the unit dashboard 单位合规看板 (``/findings/units``):
per unit the open, due-soon and overdue findings by rule, each number a link to the filtered
合规问题 list. Permission checks and the reads live in ``services.workbench``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from lawtrail.domain.approvals import next_approver
from lawtrail.domain.cases import STAGE_LABELS
from lawtrail.domain.findings import Finding, status_at
from lawtrail.domain.workbench import URGENCY
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import workbench as svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.findings import LABELS, subject_link
from lawtrail.web.ui.render import page

router = APIRouter()
Who = Depends(ui_principal)
STATUSES = [s.value for s in URGENCY]


def finding_link(f: Finding) -> str | None:
    """Where a finding's subject is shown (a record opens its own page)."""
    if f.subject.type == "record":
        return f"/records/{f.subject.id}"
    return subject_link(f)


def home_context(request: Request, who: Principal) -> dict[str, Any]:
    """What ``home.html`` needs from the workbench: the lists, the approvals inbox partial's
    ``items`` and ``deadline_status``, the labels."""
    c, ctx = container(request), who.ctx(request)
    wb = svc.workbench(c.uow(), ctx, settings=c.rules, catalogue=c.catalogue)
    due_soon = c.rules.due_soon
    return {"wb": wb, "items": wb.inbox, "finding_link": finding_link, "next_approver": next_approver,
            "deadline_status": lambda due: status_at(due, ctx.now, due_soon=due_soon).value,
            "STAGE_NAMES": {s.value: label for s, label in STAGE_LABELS.items()}, **LABELS}


def _filters(q: QueryParams) -> tuple[dict[str, str], dict[str, Any]]:
    """The chosen unit and rule, as typed and as service arguments; ValidationFailed."""
    chosen = {k: q.get(k, "").strip() for k in ("unit", "rule")}
    try:
        unit = UUID(chosen["unit"]) if chosen["unit"] else None
    except ValueError:
        raise invalid("unit", "执法机构选择无效", "unit is not a valid id") from None
    return chosen, {"unit": unit, "rule": chosen["rule"] or None}


@router.get("/findings/units", response_class=HTMLResponse)
def units_page(request: Request, who: Principal = Who) -> Response:
    c, ctx = container(request), who.ctx(request)
    chosen = {k: request.query_params.get(k, "").strip() for k in ("unit", "rule")}
    try:
        chosen, args = _filters(request.query_params)
        summary = svc.unit_summary(c.uow(), ctx, settings=c.rules, catalogue=c.catalogue, **args)
    except LawtrailError as exc:
        if exc.code == "permission_denied":
            raise
        return page(request, "findings_units.html", status=422, error=exc, summary=None, filters=chosen,
                    names={}, units=[], statuses=STATUSES, **LABELS)
    return page(request, "findings_units.html", summary=summary, filters=chosen, names=summary.names,
                units=summary.units, statuses=STATUSES, **LABELS)
