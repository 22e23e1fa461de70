"""The supervision API under /api/v1: the accountability report (Art. 48) as JSON or XLSX, and
the dashboard's metrics. Permission checks and the recorded read are in ``services.oversight``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from lawtrail.domain.events import format_time
from lawtrail.domain.oversight import ART48_LABELS
from lawtrail.services import oversight as svc
from lawtrail.web import oversight_export as export
from lawtrail.web.auth import Principal, api_principal, container
from lawtrail.web.ui.oversight import period_of

router = APIRouter(prefix="/api/v1", tags=["oversight"])
Who = Annotated[Principal, Depends(api_principal)]


def _report(request: Request, who: Principal, fmt: svc.Format, start: date | None, end: date | None,
            unit: UUID | None, officer: UUID | None) -> svc.Report:
    c = container(request)
    return svc.accountability_report(c.uow(), who.ctx(request), settings=c.rules, catalogue=c.catalogue, fmt=fmt,
                                     period=period_of(start, end), unit_id=unit, officer_id=officer)


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"key": r.key or None, "name": r.name, "unit_name": r.unit_name, "total": r.total,
             "counts": {k.value: n for k, n in r.counts.items()}} for r in rows]


@router.get("/oversight/report")
def report_json(request: Request, who: Who, start: date | None = None, end: date | None = None,
                unit: UUID | None = None, officer: UUID | None = None) -> dict[str, Any]:
    """Art. 48 items of the caller's scope, ``start``..``end`` (days in Beijing time, inclusive)
    by due time / event time, by unit and by person. Recorded as ``oversight:report:view``."""
    report = _report(request, who, "json", start, end, unit, officer)
    return {
        "generated_at": format_time(report.generated_at),
        "start": format_time(report.period.start) if report.period.start else None,
        "end": format_time(report.period.end) if report.period.end else None,
        "kinds": {k.value: {"item": n, "zh": zh, "en": en} for k, (n, zh, en) in ART48_LABELS.items()},
        "totals": report.totals,
        "by_unit": _rows(report.by_unit),
        "by_officer": _rows(report.by_officer),
        "items": [{"kind": i.category.value, "source": i.source, "article": i.article, "at": format_time(i.at),
                   "subject": {"type": i.subject_type, "id": i.subject_id, "name": i.subject_name},
                   "message_zh": i.message_zh, "message_en": i.message_en, "unit_id": i.unit_id,
                   "people": list(i.people)} for i in report.items],
    }


@router.get("/oversight/report.xlsx", response_class=Response,
            responses={200: {"content": {export.XLSX_TYPE: {}}, "description": "the report as a workbook"}})
def report_xlsx(request: Request, who: Who, start: date | None = None, end: date | None = None,
                unit: UUID | None = None, officer: UUID | None = None) -> Response:
    """The same report as an XLSX workbook. Recorded as ``oversight:report:export``."""
    report = _report(request, who, "xlsx", start, end, unit, officer)
    return Response(export.to_xlsx(report), media_type=export.XLSX_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="accountability-report.xlsx"'})


@router.get("/oversight/dashboard")
def dashboard_json(request: Request, who: Who,
                   days: Annotated[int, Query(ge=1, le=svc.MAX_DAYS)] = svc.DEFAULT_DAYS,
                   unit: UUID | None = None) -> dict[str, Any]:
    """Today's metrics per unit (live) and the daily snapshots of the ``days`` before."""
    c = container(request)
    board = svc.dashboard(c.uow(), who.ctx(request), settings=c.rules, catalogue=c.catalogue, days=days, unit_id=unit)
    return {
        "today": board.today.isoformat(),
        "units": [{"id": str(u.id), "name": u.name} for u in board.units],
        "current": [{"unit_id": m.unit_id, "metric": m.metric, "numerator": m.numerator,
                     "denominator": m.denominator, "rate": m.rate} for m in board.current],
        "history": [{"day": r.day.isoformat(), "unit_id": r.unit_id, "metric": r.metric, "numerator": r.numerator,
                     "denominator": r.denominator} for r in board.history],
        "overdue": [f.to_json() for f in board.overdue],
    }


__all__ = ["router"]
