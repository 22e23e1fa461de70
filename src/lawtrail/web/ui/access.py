"""Pages of Art. 45–47: 申请查阅 (my requests and the form), 待审批 (the bureau head's queue and
revocation), 查阅登记 (the register, exportable as CSV/XLSX), 外部查阅 (requests from outside),
the clearance form of a person and the level forms of cases and originals. Permission checks
live in the services."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lawtrail.adapters.tabular import to_csv, to_xlsx
from lawtrail.domain.cases import CaseFilter
from lawtrail.domain.grants import STATUS_LABELS, Status
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.outside import OUTCOME_LABELS, REQUESTER_LABELS
from lawtrail.domain.register import BASIS_LABELS, PURPOSE_LABELS
from lawtrail.domain.register import OUTCOME_LABELS as READ_OUTCOME_LABELS
from lawtrail.domain.secrecy import LEVEL_LABELS, Level
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import cases as case_svc
from lawtrail.services import grants as svc
from lawtrail.services import org as org_svc
from lawtrail.services import outside as outside_svc
from lawtrail.services import register as register_svc
from lawtrail.services import secrecy as secrecy_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_uuid, text
from lawtrail.web.ui.render import page, templates

router = APIRouter(include_in_schema=False)
Who = Depends(ui_principal)
DAYS = (1, 3, 7, 14, 30)
REGISTER_FILTERS = ("person", "unit", "case", "start", "end", "outcome")

templates.env.globals.update(
    LEVEL_LABELS={k.value: v for k, v in LEVEL_LABELS.items()}, LEVELS=[lv.value for lv in Level],
    GRANT_STATUS_LABELS={k.value: v for k, v in STATUS_LABELS.items()},
    READ_OUTCOME_LABELS=READ_OUTCOME_LABELS, BASIS_LABELS=BASIS_LABELS, PURPOSE_LABELS=PURPOSE_LABELS,
    OUTSIDE_OUTCOME_LABELS={k.value: v for k, v in OUTCOME_LABELS.items()},
    REQUESTER_LABELS={k.value: v for k, v in REQUESTER_LABELS.items()}, ACCESS_DAYS=DAYS,
)


def _ids(raw: str, name: str, label: str) -> list[UUID]:
    out = []
    for part in raw.replace(",", " ").replace("，", " ").split():
        try:
            out.append(UUID(part))
        except ValueError:
            raise invalid(name, f"{label}编号无效：{part[:40]}", f"not an id: {part[:40]!r}") from None
    return out


def _days(form: FormData) -> int:
    raw = text(form, "days")
    if not raw.isdigit() or int(raw) not in DAYS:
        raise invalid("days", "请选择查阅期限", "choose the period")
    return int(raw)


# ---- 申请查阅: my requests and the form ------------------------------------------------------

def _mine(request: Request, who: Principal, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    views = svc.list_requests(c.uow(), sctx, scope="mine")
    cases, names = svc.scope_names(c.uow(), sctx, views)
    defaults = {"media_ids": request.query_params.get("media", ""), "case_id": request.query_params.get("case", ""),
                "days": "7"}
    ctx.setdefault("values", defaults)
    return page(request, "access.html", status=status, views=views, case_numbers=cases, media_names=names, **ctx)


@router.get("/access", response_class=HTMLResponse)
def access_mine(request: Request, who: Principal = Who) -> Response:
    return _mine(request, who)


@router.post("/access/requests")
async def access_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        days = _days(form)
        now = c.clock.now()
        svc.request_access(c.uow(), who.ctx(request), purpose=text(form, "purpose"),
                           case_id=optional_uuid(form, "case_id", "案件"),
                           media_ids=_ids(text(form, "media_ids"), "media_ids", "音像资料"),
                           ends_at=now + timedelta(days=days))
    except LawtrailError as exc:
        return _mine(request, who, 422, **form_state(form, exc))
    return done("/access", "查阅申请已提交，待机关负责人审批")


@router.post("/access/requests/{request_id}/withdraw")
async def access_withdraw(request: Request, request_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        svc.withdraw(container(request).uow(), who.ctx(request), request_id, reason=text(form, "reason"))
    except LawtrailError as exc:
        return _mine(request, who, 422, **form_state(form, exc))
    return done("/access", "申请已撤回")


# ---- 待审批: the bureau head -----------------------------------------------------------------

def _pending(request: Request, who: Principal, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    views = svc.list_requests(c.uow(), sctx, scope="all")
    cases, names = svc.scope_names(c.uow(), sctx, views)
    return page(request, "access_pending.html", status=status, case_numbers=cases, media_names=names,
                pending=[v for v in views if v.status is Status.REQUESTED],
                active=[v for v in views if v.status is Status.APPROVED],
                done_=[v for v in views if v.status not in (Status.REQUESTED, Status.APPROVED)][:50], **ctx)


@router.get("/access/pending", response_class=HTMLResponse)
def access_pending(request: Request, who: Principal = Who) -> Response:
    return _pending(request, who)


@router.post("/access/requests/{request_id}/{move}")
async def access_decide(request: Request, request_id: UUID, move: str, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    moves: dict[str, tuple[Callable[..., Any], str]] = {
        "approve": (svc.approve, "已批准"), "refuse": (svc.refuse, "已不予批准"), "revoke": (svc.revoke, "已撤销批准")}
    if move not in moves:
        return _pending(request, who, 404)
    call, message = moves[move]
    try:
        call(container(request).uow(), who.ctx(request), request_id, reason=text(form, "reason"))
    except LawtrailError as exc:
        return _pending(request, who, 422, which=str(request_id), **form_state(form, exc))
    return done("/access/pending", message)


# ---- 查阅登记: the register ------------------------------------------------------------------

def _day(raw: str, name: str, *, end: bool) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, "日期格式应为 YYYY-MM-DD", f"{name} must be a date YYYY-MM-DD") from None
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=BUREAU_TZ)
    return moment.astimezone(UTC)


def _register_query(request: Request, who: Principal) -> tuple[dict[str, str], dict[str, Any]]:
    q = {k: request.query_params.get(k, "").strip()[:80] for k in REGISTER_FILTERS}
    case_id = None
    if q["case"]:
        found = case_svc.list_cases(container(request).uow(), who.ctx(request), CaseFilter(number=q["case"]))
        exact = [x for x in found.items if x.number == q["case"]] or found.items[:1]
        if not exact:
            raise invalid("case", f"没有编号为 {q['case']} 的案件", f"no case numbered {q['case']!r}")
        case_id = exact[0].id

    def uid(name: str) -> UUID | None:
        try:
            return UUID(q[name]) if q[name] else None
        except ValueError:
            raise invalid(name, "选择无效", f"{name} is not a valid id") from None

    return q, {"actor_id": uid("person"), "unit_id": uid("unit"), "case_id": case_id,
               "start": _day(q["start"], "start", end=False), "end": _day(q["end"], "end", end=True),
               "outcome": q["outcome"] or None}


@router.get("/access/register", response_class=HTMLResponse)
def access_register(request: Request, who: Principal = Who) -> Response:
    c, sctx = container(request), who.ctx(request)
    number = request.query_params.get("page", "1")
    error, found = None, None
    q = {k: request.query_params.get(k, "") for k in REGISTER_FILTERS}
    try:
        q, kw = _register_query(request, who)
        found = register_svc.register_page(c.uow(), sctx, page=int(number) if number.isdigit() else 1, **kw)
    except LawtrailError as exc:
        if exc.code != "validation_failed":
            raise
        error = exc
        found = register_svc.register_page(c.uow(), sctx)
    people = []
    with contextlib.suppress(LawtrailError):
        people = user_svc.list_users(c.uow(), sctx)
    base = {k: v for k, v in q.items() if v}
    return page(request, "access_register.html", status=422 if error else 200, found=found, filters=q,
                units=org_svc.list_units(c.uow(), sctx), people=people, error=error,
                query=urlencode(base), export_query=urlencode(base))


@router.get("/access/register.{fmt}")
def access_register_export(request: Request, fmt: str, who: Principal = Who) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", "导出格式只能是 CSV 或 XLSX", "format is csv or xlsx")
    _q, kw = _register_query(request, who)
    cells = register_svc.export_register(container(request).uow(), who.ctx(request), fmt="csv" if fmt == "csv"
                                         else "xlsx", **kw)
    stamp = container(request).clock.now().astimezone(BUREAU_TZ).strftime("%Y%m%d-%H%M")
    title = f"查阅登记（第四十五条）· 导出于 {stamp} · 内部资料，注意保密"
    if fmt == "csv":
        body, media_type = to_csv(title, register_svc.COLUMNS, cells), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(title, register_svc.COLUMNS, cells, sheet="查阅登记")
        media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"access-register-{stamp}.{fmt}\"",
        "Cache-Control": "private, no-store"})


# ---- 外部查阅 (Art. 46) -----------------------------------------------------------------------

def _outside(request: Request, who: Principal, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    rows = outside_svc.list_requests(c.uow(), sctx)
    ctx.setdefault("values", {"kind": "party"})
    return page(request, "access_outside.html", status=status, rows=rows, **ctx)


@router.get("/access/outside", response_class=HTMLResponse)
def access_outside(request: Request, who: Principal = Who) -> Response:
    return _outside(request, who)


@router.post("/access/outside")
async def access_outside_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        received = _day(text(form, "received_on"), "received_on", end=False) or c.clock.now()
        outside_svc.record_request(
            c.uow(), who.ctx(request), kind=text(form, "kind"), requester_name=text(form, "requester_name"),
            requester_org=text(form, "requester_org"), legal_basis=text(form, "legal_basis"),
            purpose=text(form, "purpose"), asked=text(form, "asked"), wants_copy=text(form, "wants_copy") == "1",
            received_at=min(received, c.clock.now()), case_id=optional_uuid(form, "case_id", "案件"))
    except LawtrailError as exc:
        return _outside(request, who, 422, **form_state(form, exc))
    return done("/access/outside", "外部查阅申请已登记")


@router.post("/access/outside/{request_id}/decide")
async def access_outside_decide(request: Request, request_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        outside_svc.decide_request(container(request).uow(), who.ctx(request), request_id,
                                   outcome=text(form, "outcome"), reason=text(form, "reason"),
                                   media_ids=_ids(text(form, "media_ids"), "media_ids", "音像资料"))
    except LawtrailError as exc:
        return _outside(request, who, 422, which=str(request_id), **form_state(form, exc))
    return done("/access/outside", "决定已登记")


# ---- clearance and levels --------------------------------------------------------------------

def _clearance_page(request: Request, who: Principal, user_id: UUID, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    person = user_svc.get_user(c.uow(), sctx, user_id)
    levels = secrecy_svc.clearance(c.uow(), sctx, user_id)
    return page(request, "user_clearance.html", status=status, person=person, levels={lv.value for lv in levels},
                **ctx)


@router.get("/admin/users/{user_id}/clearance", response_class=HTMLResponse)
def clearance_form(request: Request, user_id: UUID, who: Principal = Who) -> Response:
    return _clearance_page(request, who, user_id)


@router.post("/admin/users/{user_id}/clearance")
async def clearance_set(request: Request, user_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    chosen = [v for v in form.getlist("levels") if isinstance(v, str)]
    try:
        secrecy_svc.set_clearance(container(request).uow(), who.ctx(request), user_id, levels=chosen,
                                  reason=text(form, "reason"))
    except LawtrailError as exc:
        return _clearance_page(request, who, user_id, 422, **form_state(form, exc))
    return done(f"/admin/users/{user_id}/clearance", "知悉范围已更新")


@router.post("/cases/{case_id}/secrecy")
async def case_secrecy(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    secrecy_svc.set_case_level(c.uow(), who.ctx(request), case_id, level=text(form, "level"),
                               reason=text(form, "reason"),
                               state_secret_content=c.settings.state_secret_content_allowed)
    return done(f"/cases/{case_id}", "密级已更新")


@router.post("/media/{media_id}/secrecy")
async def media_secrecy(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    secrecy_svc.set_media_level(c.uow(), who.ctx(request), media_id, level=text(form, "level"),
                                reason=text(form, "reason"),
                                state_secret_content=c.settings.state_secret_content_allowed)
    return done(f"/media/{media_id}", "密级已更新")
