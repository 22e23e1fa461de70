"""Pages for cases (案件): the list with filters and pages, the 新建案件 form, and the case page
(details, parties, handlers with their certificates, the stage bar with the allowed next steps,
linked media and the 留痕 trail). Permission checks live in the services."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lawtrail.domain.activities import Activity
from lawtrail.domain.approvals import Approval, check_gate
from lawtrail.domain.cases import (
    ACTION_TYPE_LABELS,
    CLOSABLE,
    CLOSED_KIND_LABELS,
    ORIGIN_LABELS,
    PROCEDURE_LABELS,
    STAGE_LABELS,
    STAGE_ORDER,
    ActionType,
    Case,
    CaseFilter,
    Stage,
    next_stages,
)
from lawtrail.domain.findings import Finding
from lawtrail.domain.org import User, can_act_as_officer, local_date
from lawtrail.domain.parties import PARTY_KIND_LABELS, PartyInput, masked_id
from lawtrail.errors import LawtrailError, RuleViolation, invalid
from lawtrail.services import activities as activity_svc
from lawtrail.services import cases as svc
from lawtrail.services import org as org_svc
from lawtrail.services.case_input import CaseDetails
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.approvals import approval_panel
from lawtrail.web.ui.checklist import checklist_context
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_uuid, text
from lawtrail.web.ui.records import case_records_context
from lawtrail.web.ui.render import page, templates
from lawtrail.web.ui.trail import _names, rows

router = APIRouter()
Who = Depends(ui_principal)
FILTERS = ("stage", "action_type", "unit", "party", "number", "handler")
MAX_PARTIES = 3

templates.env.globals.update(
    STAGE_LABELS={k.value: v for k, v in STAGE_LABELS.items()},
    ACTION_TYPE_LABELS={k.value: v for k, v in ACTION_TYPE_LABELS.items()},
    PROCEDURE_LABELS={k.value: v for k, v in PROCEDURE_LABELS.items()},
    ORIGIN_LABELS={k.value: v for k, v in ORIGIN_LABELS.items()},
    PARTY_KIND_LABELS={k.value: v for k, v in PARTY_KIND_LABELS.items()},
    CLOSED_KIND_LABELS={k.value: v for k, v in CLOSED_KIND_LABELS.items()},
    STAGES=[s.value for s in STAGE_ORDER],
    masked_id=masked_id,
)


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None


def _filter(q: dict[str, str]) -> CaseFilter:
    def enum(kind: Any, value: str) -> Any:
        try:
            return kind(value) if value else None
        except ValueError:
            return None

    return CaseFilter(stage=enum(Stage, q["stage"]), action_type=enum(ActionType, q["action_type"]),
                      unit_id=_uuid(q["unit"]), handler_id=_uuid(q["handler"]), party=q["party"].strip()[:100],
                      number=q["number"].strip()[:80])


@router.get("/cases", response_class=HTMLResponse)
def cases_list(request: Request, who: Principal = Who) -> Response:
    c, ctx = container(request), who.ctx(request)
    chosen = {k: request.query_params.get(k, "") for k in FILTERS}
    if chosen["handler"] == "me":
        chosen["handler"] = str(who.user.id)
    number = request.query_params.get("page", "1")
    found = svc.list_cases(c.uow(read_only=True), ctx, _filter(chosen), page=int(number) if number.isdigit() else 1)
    units = org_svc.list_units(c.uow(read_only=True), ctx)
    base = {k: v for k, v in chosen.items() if v}
    return page(request, "cases.html", found=found, filters=chosen, units=units,
                unit_names={u.id: u.name for u in units}, query=urlencode(base),
                stages=list(Stage), action_types=list(ActionType))


# ---- the new-case form ----------------------------------------------------------------------

def _new_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    today = local_date(c.clock.now())
    officers: list[User] = []
    with contextlib.suppress(LawtrailError):
        officers = svc.officers_of(c.uow(), who.ctx(request), who.user.unit_id)
    return page(request, "case_new.html", status=status, officers=officers,
                can_handle={u.id: can_act_as_officer(u, today) for u in officers}, party_slots=range(MAX_PARTIES),
                **ctx)


@router.get("/cases/new", response_class=HTMLResponse)
def case_new(request: Request, who: Principal = Who) -> Response:
    return _new_page(request, who, values={"procedure": "general", "parties.0.kind": "legal_person"},
                     value_lists={"handler_ids": [str(who.user.id)]})


def _details(form: FormData) -> CaseDetails:
    real = text(form, "complainant_real_name")
    return CaseDetails(action_type=text(form, "action_type"), procedure=text(form, "procedure"),
                       origin=text(form, "origin"), name=text(form, "name"), cause=text(form, "cause"),
                       origin_detail=text(form, "origin_detail"),
                       complainant_real_name={"yes": True, "no": False}.get(real),
                       complainant_name=text(form, "complainant_name"),
                       complainant_contact=text(form, "complainant_contact"))


def _parties(form: FormData) -> list[PartyInput]:
    out = []
    for i in range(MAX_PARTIES):
        fields = {k: text(form, f"parties.{i}.{k}") for k in ("kind", "name", "id_number", "legal_rep", "address",
                                                              "phone")}
        if fields["name"].strip() or fields["id_number"].strip():
            out.append(PartyInput(**fields))
    return out


def _handler_ids(form: FormData) -> list[UUID]:
    ids = []
    for raw in form.getlist("handler_ids"):
        value = _uuid(raw if isinstance(raw, str) else "")
        if value is None:
            raise invalid("handler_ids", "承办人选择无效", "invalid handler")
        ids.append(value)
    return ids


@router.post("/cases/new")
async def case_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        case = svc.open_case(container(request).uow(), who.ctx(request), unit_id=who.user.unit_id,
                             details=_details(form), parties=_parties(form), handler_ids=_handler_ids(form),
                             lead_id=optional_uuid(form, "lead_id", "主办人"))
    except LawtrailError as exc:
        return _new_page(request, who, 422, **form_state(form, exc))
    return done(f"/cases/{case.id}", f"已立案：{case.number}")


# ---- one case -------------------------------------------------------------------------------

def _case_page(request: Request, who: Principal, case_id: UUID, status: int = 200, **ctx: object) -> Response:
    c, sctx = container(request), who.ctx(request)
    detail = svc.get_case(c.uow(), sctx, case_id)
    events = svc.case_trail(c.uow(), sctx, case_id, limit=50)
    case = detail.case
    reached = {s.to_stage.value for s in detail.stages}
    panel = approval_panel(request, who, case_id)
    return page(request, "case_detail.html", status=status, d=detail, case=case, next_steps=next_stages(case),
                gated=_gated(case, panel["ap"].approvals), closable=case.stage in CLOSABLE and not case.closed,
                reached=reached, current=STAGE_ORDER.index(case.stage), trail_rows=rows(events, _names(request, who)),
                today_=local_date(c.clock.now()), **case_records_context(request, who, case), **panel,
                **checklist_context(request, who, case_id), activities=_activities(request, who, case_id), **ctx)


def _activities(request: Request, who: Principal, case_id: UUID) -> list[tuple[Activity, list[Finding]]]:
    """The on-site activities linked to the case, with their Art. 32/35/36 findings."""
    c = container(request)
    try:
        return activity_svc.case_activities(c.uow(read_only=True), who.ctx(request), case_id,
                                            activity_svc.continuity_policy(c.settings))
    except LawtrailError:
        return []


def _gated(case: Case, approvals: list[Approval]) -> dict[str, str]:
    """Why each next stage cannot be entered yet for want of an approval (Art. 9, 19), by stage:
    the page shows that button disabled with the reason rather than refusing the click."""
    out = {}
    for stage in next_stages(case):
        try:
            check_gate(case, stage, approvals)
        except RuleViolation as exc:
            out[stage.value] = f"{exc.message_zh}（{exc.article}）" if exc.article else exc.message_zh
    return out


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_detail(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    return _case_page(request, who, case_id)


@router.post("/cases/{case_id}/stage")
async def case_stage(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        case = svc.advance_stage(container(request).uow(), who.ctx(request), case_id, to=text(form, "to"),
                                 reason=text(form, "reason"), correction=text(form, "correction") == "1")
    except LawtrailError as exc:
        return _case_page(request, who, case_id, 422, which="stage", **form_state(form, exc))
    return done(f"/cases/{case_id}", f"案件已进入“{STAGE_LABELS[case.stage]}”环节")


@router.post("/cases/{case_id}/close")
async def case_close(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        case = svc.close_case(container(request).uow(), who.ctx(request), case_id, reason=text(form, "reason"))
    except LawtrailError as exc:
        return _case_page(request, who, case_id, 422, which="close", **form_state(form, exc))
    kind = CLOSED_KIND_LABELS[case.closed_kind] if case.closed_kind else "终结"
    return done(f"/cases/{case_id}", f"案件已{kind}")


@router.post("/cases/{case_id}/parties")
async def case_party(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    fields = {k: text(form, k) for k in ("kind", "name", "id_number", "legal_rep", "address", "phone")}
    try:
        svc.add_party(container(request).uow(), who.ctx(request), case_id, PartyInput(**fields))
    except LawtrailError as exc:
        return _case_page(request, who, case_id, 422, which="party", **form_state(form, exc))
    return done(f"/cases/{case_id}", "当事人已添加")
