"""Pages of approvals (审批): the 待我审批 inbox, the approval panel of the case page (each step's
chain with who said what and when, and the forms for whoever may act now), and the forms that
submit, act and withdraw. Permission checks live in the services."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lawtrail.domain.approvals import (
    CHAINS,
    DECISION_LABELS,
    STATUS_LABELS,
    STEP_ARTICLES,
    STEP_LABELS,
    SUBMISSION_LABELS,
    Approval,
    Step,
    next_approver,
)
from lawtrail.domain.events import Action
from lawtrail.domain.findings import STATUS_LABELS as FINDING_STATUS_LABELS
from lawtrail.domain.findings import status_at
from lawtrail.domain.org import User
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import approvals as svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, text
from lawtrail.web.ui.render import page, templates
from lawtrail.web.ui.trail import ACTION_LABELS, ENUM_LABELS, FIELD_LABELS

router = APIRouter()
Who = Depends(ui_principal)

templates.env.globals.update(
    STEP_LABELS={k.value: v for k, v in STEP_LABELS.items()},
    STEP_ARTICLES={k.value: v for k, v in STEP_ARTICLES.items()},
    SUBMISSION_LABELS={k.value: v for k, v in SUBMISSION_LABELS.items()},
    APPROVAL_STATUS_LABELS={k.value: v for k, v in STATUS_LABELS.items()},
    DECISION_LABELS={k.value: v for k, v in DECISION_LABELS.items()},
    next_approver=next_approver,
    FINDING_STATUS_LABELS={k.value: v for k, v in FINDING_STATUS_LABELS.items()},
)
ACTION_LABELS.update({Action.CASE_APPROVAL_SUBMIT: "报批", Action.CASE_APPROVAL_ACT: "审批意见",
                      Action.CASE_APPROVAL_WITHDRAW: "撤回报批"})
for _key, _label in {"request_id": "审批编号", "step": "审批事项", "level": "审批级次", "level_label": "意见栏",
                     "decision": "结论", "opinion": "意见", "advice": "建议", "emergency": "紧急先行启动",
                     "emergency_reason": "紧急理由", "participants": "参加人员", "resubmitted": "重新提交"}.items():
    FIELD_LABELS.setdefault(_key, _label)
# Steps, decisions and statuses in words in the trail (the approval statuses share no value with
# the device statuses already under "status").
ENUM_LABELS.setdefault("step", {}).update({k.value: v for k, v in STEP_LABELS.items()})
ENUM_LABELS.setdefault("decision", {}).update({k.value: v for k, v in DECISION_LABELS.items()})
for _status, _label in STATUS_LABELS.items():
    ENUM_LABELS["status"].setdefault(_status.value, _label)


def level_label(a: Approval, level: int) -> str:
    """What the opinion at ``level`` is called on the form (level 0: the handler's)."""
    if level == 0:
        return SUBMISSION_LABELS[a.request.step]
    chain = CHAINS[a.request.step]
    return chain[min(level, len(chain)) - 1].label


templates.env.globals["level_label"] = level_label


def approval_panel(request: Request, who: Principal, case_id: UUID) -> dict[str, Any]:
    """What the case page needs to show and act on the case's approvals."""
    c, ctx = container(request), who.ctx(request)
    found = svc.case_approvals(c.uow(), ctx, case_id)
    candidates: list[User] = []
    if Step.DISCUSSION in found.submittable:
        with contextlib.suppress(LawtrailError):
            candidates = svc.participant_candidates(c.uow(), ctx, case_id)
    return {"ap": found, "candidates": candidates}


def _back(request: Request, who: Principal, case_id: UUID, exc: LawtrailError, form: FormData, which: str
          ) -> Response:
    from lawtrail.web.ui import cases as case_pages  # the case page shows the panel; imported late (cycle)

    return case_pages._case_page(request, who, case_id, 422, which=which, **form_state(form, exc))


def _uuids(form: FormData, name: str) -> list[UUID]:
    out = []
    for raw in form.getlist(name):
        try:
            out.append(UUID(raw if isinstance(raw, str) else ""))
        except ValueError:
            raise invalid(name, "参加人员选择无效", "invalid participant") from None
    return out


INBOX_PAGE_SIZE = 50


def inbox_context(request: Request, who: Principal, *, page_number: int | None = None) -> dict[str, Any]:
    """The person's waiting approvals, and how each deadline stands now (for the inbox partial);
    with ``page_number``, one page of ``INBOX_PAGE_SIZE`` and the pager's figures."""
    c = container(request)
    now = c.clock.now()
    due_soon = c.rules.due_soon
    extra: dict[str, Any] = {}
    if page_number is None:
        items = svc.inbox(c.uow(read_only=True), who.ctx(request))
    else:
        total = svc.waiting_count(c.uow(read_only=True), who.ctx(request))
        pages = max(1, -(-total // INBOX_PAGE_SIZE))
        number = min(max(1, page_number), pages)
        items = svc.inbox(c.uow(read_only=True), who.ctx(request), offset=(number - 1) * INBOX_PAGE_SIZE,
                          limit=INBOX_PAGE_SIZE)
        extra = {"inbox_total": total, "inbox_page": number, "inbox_pages": pages}
    return {"items": items, "deadline_status": lambda due: status_at(due, now, due_soon=due_soon).value, **extra}


@router.get("/approvals", response_class=HTMLResponse)
def inbox_page(request: Request, who: Principal = Who) -> Response:
    number = request.query_params.get("page", "1")
    return page(request, "approvals.html",
                **inbox_context(request, who, page_number=int(number) if number.isdigit() else 1))


@router.post("/cases/{case_id}/approvals")
async def submit(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        a = svc.submit(container(request).uow(), who.ctx(request), case_id, step=text(form, "step"),
                       opinion=text(form, "opinion"), emergency=text(form, "emergency") == "1",
                       emergency_reason=text(form, "emergency_reason"), participants=_uuids(form, "participants"))
    except LawtrailError as exc:
        return _back(request, who, case_id, exc, form, f"submit-{text(form, 'step')}")
    what = "紧急先行启动已登记，请在24小时内完成立案审批" if a.request.emergency and len(a.actions) == 1 else (
        f"{STEP_LABELS[a.request.step]}已提交，待{next_approver(a)}")
    return _done_at(f"/cases/{case_id}", what)


@router.post("/approvals/{request_id}/act")
async def act(request: Request, request_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    case_id = UUID(text(form, "case_id")) if _is_uuid(text(form, "case_id")) else None
    try:
        a = svc.act(container(request).uow(), who.ctx(request), request_id, decision=text(form, "decision"),
                    opinion=text(form, "opinion"), advice=text(form, "advice"))
    except LawtrailError as exc:
        if case_id is None:
            raise
        return _back(request, who, case_id, exc, form, f"act-{request_id}")
    state = STATUS_LABELS[a.state.status] if a.state.status else ""
    message = f"{STEP_LABELS[a.request.step]}：已{DECISION_LABELS[a.actions[-1].decision]}（{state}）"
    if text(form, "back") == "/approvals":
        return done("/approvals", message)
    return _done_at(f"/cases/{a.request.case_id}", message)


@router.post("/approvals/{request_id}/withdraw")
async def withdraw(request: Request, request_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    case_id = UUID(text(form, "case_id")) if _is_uuid(text(form, "case_id")) else None
    try:
        a = svc.withdraw(container(request).uow(), who.ctx(request), request_id, reason=text(form, "reason"))
    except LawtrailError as exc:
        if case_id is None:
            raise
        return _back(request, who, case_id, exc, form, f"withdraw-{request_id}")
    return _done_at(f"/cases/{a.request.case_id}", f"{STEP_LABELS[a.request.step]}已撤回")


def _done_at(url: str, message: str) -> Response:
    """``done`` back to the case page, scrolled to its approval panel (the fragment after the query)."""
    response = done(url, message)
    response.headers["location"] += "#approvals"
    return response


def _is_uuid(raw: str) -> bool:
    try:
        UUID(raw)
    except ValueError:
        return False
    return True
