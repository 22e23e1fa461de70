"""Pages of supervision: 监督看板 (the dashboard: rates per unit and rule, over days) and 问责报告
(the Art. 48 accountability report, with filters, XLSX and PDF export). Permission checks and
the recorded read live in ``services.oversight``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from lawtrail.domain.access import Permission, has_permission
from lawtrail.domain.findings import STATUS_LABELS
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.oversight import ART48_LABELS, CATEGORIES, Period
from lawtrail.domain.rules import RULES
from lawtrail.domain.supervision import (
    ACTIVATION,
    COMPLIANCE,
    INGEST_24H,
    OVERDUE,
    RULE_PREFIX,
    Metric,
    SnapshotRow,
    combined,
    count_series,
    percent,
    rate,
    series,
)
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import oversight as svc
from lawtrail.services.oversight import Format
from lawtrail.web import oversight_export as export
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.charts import bar_chart, line_chart
from lawtrail.web.ui.findings import subject_link
from lawtrail.web.ui.render import page, templates

router = APIRouter()
Who = Depends(ui_principal)
KINDS = [(c.value, *ART48_LABELS[c]) for c in CATEGORIES]
#: Short names of the rules for chart labels (others: their title).
RULE_SHORT = {"ART41-STORED-24H": "24小时储存", "ART42-REGISTRATION-COMPLETE": "分类登记",
              "ART43-EVIDENCE-NOTE": "证据说明", "ART43-RETENTION": "保存期限", "ART32-AV-REQUIRED": "音像记录",
              "ART35-CONTINUITY": "全程不间断", "ART36-INTERRUPTION-EXPLAINED": "中断说明"}


# ---- filters (shared with the API) -------------------------------------------------------------

def day_bound(raw: str, name: str, label: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"{label}格式应为 年-月-日", f"{name} must be a date (YYYY-MM-DD)") from None


def period_of(start: date | None, end: date | None) -> Period:
    """Days in the bureau's time, ``end`` included; ValidationFailed when the end is before the start."""
    if start is not None and end is not None and end < start:
        raise invalid("end", "结束日期不能早于开始日期", "the end date is before the start date")
    return Period(datetime.combine(start, time(), BUREAU_TZ) if start else None,
                  datetime.combine(end + timedelta(days=1), time(), BUREAU_TZ) if end else None)


def uuid_of(raw: str, name: str, label: str) -> UUID | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise invalid(name, f"{label}选择无效", f"{name} is not a valid id") from None


def report_filters(q: QueryParams) -> tuple[dict[str, str], dict[str, Any]]:
    """The chosen filters as typed (for the form) and as service arguments; ValidationFailed."""
    chosen = {k: q.get(k, "").strip() for k in ("start", "end", "unit", "officer")}
    args = {"period": period_of(day_bound(chosen["start"], "start", "开始日期"),
                                day_bound(chosen["end"], "end", "结束日期")),
            "unit_id": uuid_of(chosen["unit"], "unit", "执法机构"),
            "officer_id": uuid_of(chosen["officer"], "officer", "人员")}
    return chosen, args


def _report(request: Request, who: Principal, fmt: Format) -> tuple[svc.Report, dict[str, str]]:
    c, ctx = container(request), who.ctx(request)
    chosen, args = report_filters(request.query_params)
    return svc.accountability_report(c.uow(), ctx, settings=c.rules, catalogue=c.catalogue, fmt=fmt, **args), chosen


# ---- 问责报告 ----------------------------------------------------------------------------------

@router.get("/oversight/report", response_class=HTMLResponse)
def report_page(request: Request, who: Principal = Who) -> Response:
    chosen = {k: request.query_params.get(k, "").strip() for k in ("start", "end", "unit", "officer")}
    try:
        report, chosen = _report(request, who, "html")
    except LawtrailError as exc:
        if exc.code == "permission_denied":
            raise
        return page(request, "oversight_report.html", status=422, error=exc, report=None, filters=chosen,
                    kinds=KINDS, charts={}, query="")
    totals = report.totals
    charts = {
        "kinds": bar_chart([(f"{n}{zh}", totals[k] / max(max(totals.values()), 1), f"{totals[k]} 项")
                            for k, n, zh, _ in KINDS], title="按问责情形", counts=True),
        "units": bar_chart([(r.name, r.total / report.by_unit[0].total, f"{r.total} 项")
                            for r in report.by_unit[:12]], title="按执法机构", counts=True),
    }
    return page(request, "oversight_report.html", report=report, filters=chosen, kinds=KINDS, charts=charts,
                query=request.url.query, subject_link=_item_link)


def _item_link(subject_type: str, subject_id: str) -> str | None:
    return {"media": f"/media/{subject_id}", "activity": f"/activities/{subject_id}",
            "handin": f"/handins#handin-{subject_id}", "case": f"/cases/{subject_id}"}.get(subject_type)


def _filename(report: svc.Report, ext: str) -> str:
    stamp = report.generated_at.astimezone(BUREAU_TZ).strftime("%Y%m%d-%H%M")
    return f"accountability-report-{stamp}.{ext}"


@router.get("/oversight/report.xlsx")
def report_xlsx(request: Request, who: Principal = Who) -> Response:
    report, _ = _report(request, who, "xlsx")
    return Response(export.to_xlsx(report), media_type=export.XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'})


def print_html(request: Request, report: svc.Report) -> str:
    return templates.get_template("oversight_report_print.html").render(
        report=report, kinds=KINDS, local=export.local, period=export.period_text(report),
        people_text=export.people_text, request=request)


@router.get("/oversight/report.pdf")
def report_pdf(request: Request, who: Principal = Who) -> Response:
    report, _ = _report(request, who, "pdf")
    return Response(export.to_pdf(print_html(request, report)), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(report, "pdf")}"'})


# ---- 监督看板 ----------------------------------------------------------------------------------

def headline(current: list[Metric]) -> dict[str, Any]:
    """The four numbers at the top (bureau-wide in the actor's scope)."""
    out: dict[str, Any] = {}
    for key in (COMPLIANCE, INGEST_24H, ACTIVATION):
        num, den = combined(current, key)
        out[key] = {"rate": percent(rate(num, den)), "num": num, "den": den}
    out[OVERDUE] = combined(current, OVERDUE)[0]
    return out


def _today_rows(board: svc.Dashboard) -> list[SnapshotRow]:
    return [SnapshotRow("", board.today, m.unit_id, m.metric, m.numerator, m.denominator, datetime.now(BUREAU_TZ))
            for m in board.current]


def dashboard_charts(board: svc.Dashboard) -> dict[str, Any]:
    names = {str(u.id): u.name for u in board.units}

    def per_unit(metric: str) -> Any:
        rows = [(names.get(m.unit_id, "?"), m.rate, f"{m.numerator}/{m.denominator}") for m in board.current
                if m.metric == metric and m.denominator]
        return bar_chart(sorted(rows, key=lambda r: (r[1] if r[1] is not None else 2, r[0])), title=metric)

    per_rule = []
    for rule_id, spec in RULES.items():
        num, den = combined(board.current, RULE_PREFIX + rule_id)
        article = rule_id[3:].split("-", 1)[0].lstrip("0")
        per_rule.append((f"{article}条 {RULE_SHORT.get(rule_id, spec.title_zh)}", rate(num, den), f"{num}/{den}"))
    rows = board.history + _today_rows(board)
    return {"units": per_unit(COMPLIANCE), "ingest": per_unit(INGEST_24H), "activation": per_unit(ACTIVATION),
            "rules": bar_chart(per_rule, title="按规则合规率"),
            "trend": line_chart(series(rows, COMPLIANCE), title="合规率（按日）"),
            "overdue_trend": line_chart([(d, float(n)) for d, n in count_series(rows, OVERDUE)],
                                        title="逾期问题数（按日）", percent=False)}


def home_numbers(request: Request, who: Principal) -> dict[str, Any] | None:
    """The dashboard's headline numbers for the home page of those with oversight:view (else None)."""
    if not has_permission(who.actor, Permission.OVERSIGHT_VIEW):
        return None
    c = container(request)
    board = svc.dashboard(c.uow(), who.ctx(request), settings=c.rules, catalogue=c.catalogue, days=1)
    return headline(board.current)


@router.get("/oversight", response_class=HTMLResponse)
def dashboard_page(request: Request, who: Principal = Who) -> Response:
    c, ctx = container(request), who.ctx(request)
    raw_days = request.query_params.get("days", "").strip()
    try:
        days = int(raw_days) if raw_days else svc.DEFAULT_DAYS
    except ValueError:
        days = -1
    board = svc.dashboard(c.uow(), ctx, settings=c.rules, catalogue=c.catalogue, days=days)
    return page(request, "oversight_dashboard.html", board=board, head=headline(board.current),
                charts=dashboard_charts(board), days=days, STATUS_LABELS={s.value: v for s, v in STATUS_LABELS.items()},
                subject_link=subject_link, unit_names={str(u.id): u.name for u in board.units}, RULES=RULES)
